from cs_success.surveys.web import link_status_context

no_cache = 1


def get_context(context):
	link_status_context(context)
