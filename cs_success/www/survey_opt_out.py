from frappe import _

from cs_success.surveys.web import opt_out_page_context

no_cache = 1


def get_context(context):
	opt_out_page_context(context)
	context.title = _("Stop receiving surveys")
