// The guest survey page (cs_success/cs_success/web_form/survey/survey_page.html): plain browser code,
// no desk or web form script. It reports that a browser showed the page, stores the score clicked in
// the email (or on the page) at once as a partial response, and sends the answers. Mail scanners fetch
// links but run no script, so none of this happens for them. The server checks every value again
// (cs_success/surveys/responses.py); texts come translated from the server.

const API = "/api/method/cs_success.api.survey.";
const SAVE_DELAY_MS = 600; // arrow keys move through the scale: store where the respondent stops

const root = document.getElementById("cs-survey");
if (root) {
	init(root);
}

function init(root) {
	const survey = JSON.parse(root.dataset.survey);
	const form = root.querySelector(".cs-survey-form");
	const saved_note = root.querySelector(".cs-survey-saved");
	const error_box = root.querySelector(".cs-survey-error");
	const submit = form.querySelector(".cs-survey-submit");
	const thanks = root.querySelector(".cs-survey-thanks");
	const headline = survey.questions[0];
	let saving = Promise.resolve();
	let save_timer = null;
	let sent = false;

	const show_error = (message) => {
		error_box.textContent = message;
		error_box.hidden = !message;
	};

	const save_score = (score) => {
		// One request at a time, in order: the last score chosen is the one stored.
		saving = saving
			.then(() => post("record_score", { token: survey.token, score }, survey.labels.failed))
			.then(() => {
				if (!sent) {
					saved_note.hidden = false;
					root.dataset.scoreSaved = String(score);
				}
			})
			.catch((error) => show_error(error.message));
		return saving;
	};

	if (survey.record_score && survey.preselected !== null) {
		save_score(survey.preselected); // the score clicked in the email: it is the answer
	} else {
		post("survey_viewed", { token: survey.token }).catch(() => {});
	}

	form.querySelectorAll(`input[name="q${headline.key}"]`).forEach((input) => {
		input.addEventListener("change", () => {
			clearTimeout(save_timer);
			save_timer = setTimeout(() => save_score(input.value), SAVE_DELAY_MS);
		});
	});

	form.addEventListener("input", (event) => {
		// An answer given: the question is no longer marked as missing.
		const fieldset = event.target.closest(".cs-survey-missing");
		if (fieldset) {
			fieldset.classList.remove("cs-survey-missing");
			show_error("");
		}
	});

	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		show_error("");
		const { answers, missing } = collect(form, survey);
		form.querySelectorAll(".cs-survey-missing").forEach((el) => el.classList.remove("cs-survey-missing"));
		if (missing) {
			missing.fieldset.classList.add("cs-survey-missing");
			show_error(survey.labels.required.replace("{0}", missing.question.text));
			missing.fieldset.querySelector("input, textarea").focus();
			return;
		}
		clearTimeout(save_timer);
		submit.disabled = true;
		submit.textContent = survey.labels.sending;
		try {
			await saving; // a partial response being stored is completed, never duplicated
			const result = await post(
				"submit_answers",
				{
					token: survey.token,
					answers: JSON.stringify(answers),
					comment: form.querySelector(".cs-survey-comment").value,
				},
				survey.labels.failed
			);
			sent = true;
			form.hidden = true;
			if (result && (survey.refer_scores || []).includes(result.score)) {
				init_referral(root, survey); // a promoter: invite a recommendation
			}
			thanks.hidden = false;
			thanks.focus();
			window.scrollTo(0, 0);
		} catch (error) {
			show_error(error.message);
			submit.disabled = false;
			submit.textContent = submit.dataset.label;
		}
	});
	submit.dataset.label = submit.textContent;
}

function init_referral(root, survey) {
	// The thank-you state's short form: who the promoter recommends. Everything typed is sent as form
	// data and shown back only as text; the server checks the answer, the name and the address again.
	const section = root.querySelector(".cs-survey-refer");
	if (!section) return;
	const form = section.querySelector(".cs-survey-refer-form");
	const error_box = section.querySelector(".cs-survey-refer-error");
	const done = section.querySelector(".cs-survey-refer-done");
	const submit = form.querySelector(".cs-survey-refer-submit");
	const field = (name) => form.querySelector(`[name="${name}"]`);
	const label = submit.textContent;
	section.hidden = false;

	const show_error = (message, input) => {
		error_box.textContent = message;
		error_box.hidden = !message;
		form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
		if (input) {
			input.setAttribute("aria-invalid", "true");
			input.focus();
		}
	};

	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const values = {
			name: field("name").value.trim(),
			company: field("company").value.trim(),
			email: field("email").value.trim(),
		};
		if (!values.name) return show_error(survey.labels.refer_name, field("name"));
		if (!values.email || !field("email").checkValidity()) {
			return show_error(survey.labels.refer_email, field("email"));
		}
		show_error("");
		submit.disabled = true;
		submit.textContent = survey.labels.sending;
		try {
			await post("refer", { token: survey.token, ...values }, survey.labels.refer_failed);
			form.hidden = true;
			done.textContent = survey.labels.refer_done.replace("{0}", () => values.name);
			done.hidden = false;
			done.focus();
		} catch (error) {
			show_error(error.message);
			submit.disabled = false;
			submit.textContent = label;
		}
	});
}

function collect(form, survey) {
	const answers = {};
	let missing = null;
	for (const question of survey.questions) {
		const fieldset = form.querySelector(`.cs-survey-question[data-question="${question.key}"]`);
		const checked = fieldset.querySelector("input:checked");
		const text = fieldset.querySelector("textarea");
		const value = checked ? checked.value : text ? text.value.trim() : "";
		if (value !== "") {
			answers[question.key] = question.min !== null ? Number(value) : value;
		} else if (question.required && !missing) {
			missing = { fieldset, question };
		}
	}
	return { answers, missing };
}

async function post(method, args, failed) {
	const headers = { Accept: "application/json" };
	const csrf_token = window.frappe && window.frappe.csrf_token;
	if (csrf_token && csrf_token !== "None") {
		headers["X-Frappe-CSRF-Token"] = csrf_token; // a logged-in contact's session
	}
	let response;
	try {
		response = await fetch(API + method, {
			method: "POST",
			headers,
			body: new URLSearchParams(args),
			credentials: "same-origin",
		});
	} catch (error) {
		throw new Error(failed);
	}
	const data = await response.json().catch(() => ({}));
	if (!response.ok) {
		throw new Error(server_message(data) || failed);
	}
	return data.message;
}

function server_message(data) {
	// frappe.throw's message, already in the respondent's language; shown as text, never as HTML.
	try {
		const messages = JSON.parse(data._server_messages || "[]").map((m) => JSON.parse(m).message);
		const html = messages.join(" ");
		return new DOMParser().parseFromString(html, "text/html").body.textContent.trim();
	} catch (error) {
		return "";
	}
}
