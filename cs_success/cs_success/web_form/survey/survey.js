// Renders the survey's questions (sent by the server in the respondent's language) and hands the
// answers to the web form; the server checks them all again.
frappe.ready(() => {
	const survey = {{ survey_json or "null" }};
	const web_form = frappe.web_form;
	if (!survey || !web_form) return;

	// Counted as opened only when a browser runs this page: mail scanners fetch links but run no script.
	frappe.call({ method: "cs_success.api.survey.survey_viewed", args: { token: survey.token }, type: "POST" });

	const answers = {};
	$("<style>")
		.text(
			".cs-survey-score.btn-primary{background:var(--primary,#171717);color:#fff;border-color:transparent}"
		)
		.appendTo(document.head);
	const $wrapper = web_form.fields_dict.questions_html.$wrapper.empty();
	if (survey.introduction) {
		$("<p class='cs-survey-intro'>").text(survey.introduction).appendTo($wrapper);
	}

	survey.questions.forEach((question) => {
		const $block = $("<div class='cs-survey-question form-group'>").appendTo($wrapper);
		$block.attr("data-question", question.key);
		$("<label class='control-label'>")
			.text(question.text + (question.required ? " *" : ""))
			.appendTo($block);

		if (question.min !== null) {
			const $scale = $("<div class='cs-survey-scale' role='radiogroup'>").appendTo($block);
			for (let score = question.min; score <= question.max; score++) {
				$("<button type='button' class='btn btn-default btn-sm cs-survey-score'>")
					.text(score)
					.attr({ "data-score": score, "aria-pressed": "false" })
					.css({ "min-width": "2.5em", margin: "0 4px 4px 0" })
					.on("click", function () {
						answers[question.key] = score;
						$scale.find(".cs-survey-score").removeClass("btn-primary").attr("aria-pressed", "false");
						$(this).addClass("btn-primary").attr("aria-pressed", "true");
					})
					.appendTo($scale);
			}
			const ends = survey.labels[question.type] || ["", ""];
			$("<div class='cs-survey-ends text-muted small d-flex justify-content-between'>")
				.append($("<span>").text(ends[0]), $("<span>").text(ends[1]))
				.appendTo($block);
			if (question.key === "1" && survey.preselected !== null) {
				$scale.find(`[data-score="${survey.preselected}"]`).trigger("click");
			}
		} else if (question.choices.length) {
			const $select = $("<select class='form-control cs-survey-choice'>").appendTo($block);
			$("<option value=''>").text(survey.labels.choose).appendTo($select);
			question.choices.forEach((choice) =>
				$("<option>").attr("value", choice.value).text(choice.label).appendTo($select)
			);
			$select.on("change", () => (answers[question.key] = $select.val()));
		} else {
			const $text = $("<textarea class='form-control cs-survey-text' rows='3' maxlength='5000'>");
			$text.on("input", () => (answers[question.key] = $text.val())).appendTo($block);
		}
	});

	web_form.validate = () => {
		const missing = survey.questions.find(
			(q) => q.required && (answers[q.key] === undefined || answers[q.key] === "")
		);
		if (missing) {
			frappe.msgprint(survey.labels.required.replace("{0}", missing.text));
			return false;
		}
		web_form.doc.token = survey.token;
		web_form.doc.answers_json = JSON.stringify(answers);
		return true;
	};
});
