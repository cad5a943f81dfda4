from cs_success.surveys.web import survey_page_context


def get_context(context):
	survey_page_context(context)
