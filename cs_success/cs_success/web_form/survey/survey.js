// The survey page does not use Frappe's web form script: survey_page.html (put in place of the web
// form template by surveys/web.py) loads public/survey/cs_survey.bundle.js. This file stays so that a
// developer saving the Web Form does not get a new boilerplate script here.
