// CSM cockpit: one account manager's customers by band, open runs and tasks, renewals and quiet
// customers on one page, with the next step one click away. Everything from the server is put in the
// page as text (jQuery .text() and attributes), never as HTML, so no name or description can add markup.
frappe.provide("cs_success");

frappe.pages["csm-cockpit"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("CSM Cockpit"), single_column: true });
	wrapper.cockpit = new cs_success.CSMCockpit(page);
};

// Also on the first show: the page is read fresh each time someone comes back to it.
frappe.pages["csm-cockpit"].on_page_show = function (wrapper) {
	wrapper.cockpit.refresh();
};

const CS_MAIN_BANDS = ["Healthy", "At Risk", "Critical"];
const CS_RUN_COLORS = { Open: "blue", Held: "orange", Snoozed: "gray" };

cs_success.CSMCockpit = class CSMCockpit {
	constructor(page) {
		this.page = page;
		this.user = null; // null: the session user's own cockpit
		this.sort_by = null; // null: most MRR at stake first; "risk": highest churn risk first
		this.$body = $('<div class="cs-cockpit"></div>').appendTo(page.main);
		page.set_secondary_action(__("Refresh"), () => this.refresh(), "refresh");
		this.sort_field = page.add_field({
			fieldname: "sort_by",
			fieldtype: "Select",
			label: __("Sort By"),
			options: [
				{ value: "", label: __("MRR at Stake") },
				{ value: "risk", label: __("Churn Risk") },
			],
			change: () => {
				const value = this.sort_field.get_value() || null;
				if (value !== this.sort_by) {
					this.sort_by = value;
					this.refresh();
				}
			},
		});
		// The server decides; this only spares others a selector they could not use.
		if (frappe.user.has_role(["CS Manager", "System Manager"])) {
			this.user_field = page.add_field({
				fieldname: "user",
				fieldtype: "Link",
				options: "User",
				label: __("User"),
				default: frappe.session.user,
				get_query: () => ({ filters: { enabled: 1, user_type: "System User" } }),
				change: () => {
					const value = this.user_field.get_value() || frappe.session.user;
					if (value !== (this.user || frappe.session.user)) {
						this.user = value;
						this.refresh();
					}
				},
			});
			// Wide enough for an email address.
			$(this.user_field.wrapper).removeClass("col-md-2").addClass("col-md-3");
		}
	}

	refresh() {
		return frappe
			.xcall("cs_success.api.cockpit.get_cockpit", {
				...(this.user ? { user: this.user } : {}),
				...(this.sort_by ? { sort_by: this.sort_by } : {}),
			})
			.then((data) => {
				this.data = data;
				this.render();
			});
	}

	render() {
		const data = this.data;
		const own = data.user === frappe.session.user;
		this.$body.empty();
		if (!own) {
			$('<p class="cs-cockpit-viewing text-muted"></p>')
				.text(__("Cockpit of {0}", [data.user_name || data.user]))
				.appendTo(this.$body);
		}
		this.render_bands(this.section("bands", own ? __("My Customers by Band") : __("Customers by Band")));
		this.render_runs(this.section("runs", own ? __("My Open Runs") : __("Open Runs")));
		this.render_tasks(this.section("tasks", own ? __("My Open Tasks") : __("Open Tasks")));
		this.render_renewals(this.section("renewals", __("Renewals in the Next 90 Days")));
		this.render_quiet(this.section("quiet_customers", __("No Touchpoint in 30 Days")));
		this.render_expansion(this.section("expansion", own ? __("My Expansion Opportunities") : __("Expansion Opportunities")));
	}

	section(key, title) {
		const $section = $('<section class="cs-cockpit-section frappe-card"></section>')
			.attr("data-section", key)
			.appendTo(this.$body);
		const $head = $('<div class="cs-cockpit-head"></div>').appendTo($section);
		$("<h4></h4>").text(title).appendTo($head);
		const $content = $('<div class="cs-cockpit-content"></div>').appendTo($section);
		if ((this.data.truncated || []).includes(key)) {
			$('<p class="text-muted small"></p>').text(__("Showing the first 100.")).appendTo($section);
		}
		return { $head, $content };
	}

	nothing($parent) {
		$('<p class="cs-cockpit-empty text-muted"></p>').text(__("Nothing here")).appendTo($parent);
	}

	// --- Pieces ---------------------------------------------------------------------------------------

	customer_link(customer, customer_name) {
		return $('<a class="cs-customer-link"></a>')
			.attr("href", `/app/customer-health/${encodeURIComponent(customer)}`)
			.attr("title", customer)
			.text(customer_name || customer);
	}

	pill(color, text) {
		return $('<span class="indicator-pill"></span>').addClass(color).text(text);
	}

	date_cell(value, { overdue_warning = true } = {}) {
		const $cell = $('<td class="cs-date"></td>');
		if (!value) return $cell;
		$cell.text(frappe.datetime.str_to_user(value));
		if (overdue_warning && value < frappe.datetime.get_today()) $cell.addClass("text-danger");
		return $cell;
	}

	money(value, currency) {
		return value === null || value === undefined ? "" : format_currency(value, currency || this.data.currency);
	}

	button(label, action) {
		return $('<button class="btn btn-xs btn-default"></button>').text(label).on("click", action);
	}

	table($parent, headings) {
		const $table = $('<table class="table table-hover cs-cockpit-table"></table>').appendTo(
			$('<div class="table-responsive"></div>').appendTo($parent)
		);
		const $row = $("<tr></tr>").appendTo($("<thead></thead>").appendTo($table));
		for (const heading of headings) {
			(heading instanceof jQuery ? $("<th></th>").append(heading) : $("<th></th>").text(heading)).appendTo($row);
		}
		return $("<tbody></tbody>").appendTo($table);
	}

	// --- Sections -------------------------------------------------------------------------------------

	render_bands({ $content }) {
		const bands = this.data.customers_by_band;
		if (!bands.some((band) => band.count)) return this.nothing($content);
		const $cards = $('<div class="cs-band-cards"></div>').appendTo($content);
		const colors = (cs_success.bands && cs_success.bands.colors) || {};
		for (const band of bands.filter((b) => b.count || CS_MAIN_BANDS.includes(b.band))) {
			// An empty band is grey whatever the band: "nothing" is never good news.
			const color = band.count ? colors[band.band] || "gray" : "gray";
			const $card = $('<div class="cs-band-card"></div>')
				.attr({ "data-band": band.band, "data-color": color })
				.appendTo($cards);
			const $head = $('<div class="cs-band-card-head"></div>').appendTo($card);
			this.pill(color, __(band.band)).appendTo($head);
			if (!band.count) {
				$('<div class="cs-band-empty text-muted"></div>').text(__("Nothing here")).appendTo($card);
				continue;
			}
			$('<span class="cs-band-count"></span>').text(band.count).appendTo($head);
			if (this.data.show_mrr && band.mrr !== null) {
				$('<div class="cs-band-mrr text-muted"></div>')
					.text(__("MRR {0}", [this.money(band.mrr)]))
					.appendTo($card);
			}
			const $list = $('<ul class="cs-band-customers list-unstyled"></ul>').appendTo($card);
			for (const row of band.customers) {
				const $item = $("<li></li>").appendTo($list);
				this.customer_link(row.customer, row.customer_name).appendTo($item);
				const figures = [];
				if (row.score !== null) figures.push(Math.round(row.score));
				if (row.churn_risk !== null && row.churn_risk !== undefined)
					figures.push(__("risk {0}%", [format_number(row.churn_risk, null, 0)]));
				if (this.data.show_mrr && row.mrr !== null) figures.push(this.money(row.mrr));
				$('<span class="text-muted"></span>').text(figures.join(" · ")).appendTo($item);
			}
			if (band.count > band.customers.length) {
				$('<div class="text-muted small"></div>')
					.text(__("and {0} more", [band.count - band.customers.length]))
					.appendTo($card);
			}
		}
	}

	render_runs({ $head, $content }) {
		const runs = this.data.runs;
		const $snooze = this.button(__("Snooze Selected"), () => this.snooze(this.checked_runs()))
			.addClass("cs-snooze-selected")
			.prop("disabled", true)
			.appendTo($head);
		if (!runs.length) {
			$snooze.remove();
			return this.nothing($content);
		}
		const $all = $('<input type="checkbox" class="cs-run-check-all">').attr("aria-label", __("Select all"));
		const $rows = this.table($content, [$all, __("Play"), __("Customer"), __("Reason"), __("Status"), __("Due"), ""]);
		for (const run of runs) {
			const $row = $('<tr class="cs-run"></tr>').attr("data-run", run.name).appendTo($rows);
			$("<td></td>")
				.append($('<input type="checkbox" class="cs-run-check">').attr({ "data-run": run.name, "aria-label": run.play }))
				.appendTo($row);
			$("<td></td>")
				.append($("<a></a>").attr("href", frappe.utils.get_form_link("Play Run", run.name)).text(run.play))
				.appendTo($row);
			$("<td></td>").append(this.customer_link(run.customer, run.customer_name)).appendTo($row);
			$('<td class="cs-run-reason"></td>').text(run.reason || "").attr("title", run.reason || "").appendTo($row);
			const status =
				run.status === "Snoozed" && run.snoozed_until
					? __("Snoozed until {0}", [frappe.datetime.str_to_user(run.snoozed_until)])
					: __(run.status);
			$("<td></td>").append(this.pill(CS_RUN_COLORS[run.status] || "gray", status)).appendTo($row);
			this.date_cell(run.due_date).appendTo($row);
			$('<td class="cs-actions"></td>')
				.append(this.button(__("Snooze"), () => this.snooze([run.name])).addClass("cs-snooze"))
				.append(this.button(__("Log Touchpoint"), () => this.log_touchpoint(run.customer, run.customer_name)))
				.appendTo($row);
		}
		const update = () => {
			const count = this.checked_runs().length;
			$snooze.prop("disabled", !count);
			$all.prop("checked", count === runs.length);
		};
		$content.on("change", ".cs-run-check", update);
		$all.on("change", () => {
			$content.find(".cs-run-check").prop("checked", $all.prop("checked"));
			update();
		});
	}

	checked_runs() {
		return this.$body
			.find(".cs-run-check:checked")
			.map((_, el) => $(el).attr("data-run"))
			.get();
	}

	render_tasks({ $content }) {
		const tasks = this.data.tasks;
		if (!tasks.length) return this.nothing($content);
		const $rows = this.table($content, [__("Task"), __("Due"), __("About")]);
		for (const task of tasks) {
			const $row = $('<tr class="cs-task"></tr>').attr("data-task", task.name).appendTo($rows);
			$("<td></td>")
				.append(
					$("<a></a>")
						.attr("href", frappe.utils.get_form_link("ToDo", task.name))
						.text(task.description || __("(no description)"))
				)
				.appendTo($row);
			this.date_cell(task.date).appendTo($row);
			const $about = $("<td></td>").appendTo($row);
			if (task.customer) {
				// A run's or an answer's task: whose it is says more than the document's hash.
				this.customer_link(task.customer, task.customer_name).appendTo($about);
			} else if (task.reference_type && task.reference_name) {
				$("<a></a>")
					.attr("href", frappe.utils.get_form_link(task.reference_type, task.reference_name))
					.text(`${__(task.reference_type)} ${task.reference_name}`)
					.appendTo($about);
			}
		}
	}

	render_renewals({ $content }) {
		const renewals = this.data.renewals;
		if (!renewals.length) return this.nothing($content);
		const headings = [__("Customer"), __("Agreement"), __("Due")];
		if (this.data.show_mrr) headings.push(__("MRR"));
		headings.push("");
		const $rows = this.table($content, headings);
		for (const renewal of renewals) {
			const $row = $('<tr class="cs-renewal"></tr>').attr("data-renewal", renewal.name).appendTo($rows);
			$("<td></td>").append(this.customer_link(renewal.customer, renewal.customer_name)).appendTo($row);
			$("<td></td>")
				.append(
					$("<a></a>")
						.attr("href", frappe.utils.get_form_link(renewal.agreement_type, renewal.agreement))
						.text(`${__(renewal.agreement_type)} ${renewal.agreement}`)
				)
				.appendTo($row);
			this.date_cell(renewal.due_date).appendTo($row);
			if (this.data.show_mrr) $("<td></td>").text(this.money(renewal.mrr, renewal.currency)).appendTo($row);
			$('<td class="cs-actions"></td>')
				.append(this.button(__("Log Touchpoint"), () => this.log_touchpoint(renewal.customer, renewal.customer_name)))
				.appendTo($row);
		}
	}

	render_quiet({ $content }) {
		const quiet = this.data.quiet_customers;
		if (!quiet.length) return this.nothing($content);
		const $rows = this.table($content, [__("Customer"), __("Band"), __("Last Touchpoint"), ""]);
		for (const row of quiet) {
			const $row = $('<tr class="cs-quiet"></tr>').attr("data-customer", row.customer).appendTo($rows);
			$("<td></td>").append(this.customer_link(row.customer, row.customer_name)).appendTo($row);
			$("<td></td>")
				.append(this.pill(cs_success.bands ? cs_success.bands.color(row.band) : "gray", __(row.band)))
				.appendTo($row);
			const $last = this.date_cell(row.last_touchpoint, { overdue_warning: false }).appendTo($row);
			if (!row.last_touchpoint) $last.addClass("text-muted").text(__("Never"));
			$('<td class="cs-actions"></td>')
				.append(this.button(__("Log Touchpoint"), () => this.log_touchpoint(row.customer, row.customer_name)))
				.appendTo($row);
		}
	}

	render_expansion({ $content }) {
		const rows = this.data.expansion || [];
		if (!rows.length) return this.nothing($content);
		const headings = [__("Customer"), __("Signals"), __("Propensity")];
		if (this.data.show_mrr) headings.push(__("Uplift (MRR)"));
		headings.push("");
		const $rows = this.table($content, headings);
		for (const row of rows) {
			const $row = $('<tr class="cs-expansion"></tr>').attr("data-customer", row.customer).appendTo($rows);
			$("<td></td>").append(this.customer_link(row.customer, row.customer_name)).appendTo($row);
			// Words from the server, shown as text.
			$("<td></td>").text(row.signals.join(" ")).appendTo($row);
			$("<td></td>").text(row.propensity === null ? "" : `${format_number(row.propensity, null, 1)}%`).appendTo($row);
			if (this.data.show_mrr) $("<td></td>").text(this.money(row.uplift_mrr, this.data.currency)).appendTo($row);
			const $actions = $('<td class="cs-actions"></td>').appendTo($row);
			if (row.opportunity) {
				$("<a></a>").attr("href", frappe.utils.get_form_link(this.data.expansion_doctype || "Opportunity", row.opportunity)).text(row.opportunity).appendTo($actions);
			} else {
				$actions.append(
					this.button(__("Open Opportunity"), () =>
						frappe
							.xcall("cs_success.api.growth.create_expansion_opportunity", { customer: row.customer })
							.then(() => this.refresh())
					)
				);
			}
		}
	}

	// --- Actions --------------------------------------------------------------------------------------

	snooze(names) {
		if (!names.length) return;
		const dialog = new frappe.ui.Dialog({
			title: names.length > 1 ? __("Snooze {0} Runs", [names.length]) : __("Snooze Run"),
			fields: [
				{
					fieldname: "until",
					fieldtype: "Date",
					label: __("Snooze Until"),
					reqd: 1,
					default: frappe.datetime.add_days(frappe.datetime.get_today(), 7),
				},
				{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 },
			],
			primary_action_label: __("Snooze"),
			primary_action: (values) => {
				frappe
					.xcall("cs_success.api.plays.snooze_runs", { names, until: values.until, reason: values.reason })
					.then((count) => {
						dialog.hide();
						const message = count === 1 ? __("Run snoozed") : __("{0} runs snoozed", [count]);
						frappe.show_alert({ message, indicator: "green" });
						this.refresh();
					});
			},
		});
		dialog.show();
	}

	log_touchpoint(customer, customer_name) {
		const dialog = new frappe.ui.Dialog({
			title: __("Log Touchpoint"),
			fields: [
				{ fieldname: "customer_html", fieldtype: "HTML" },
				{
					fieldname: "touchpoint_type",
					fieldtype: "Select",
					label: __("Type"),
					reqd: 1,
					default: "Call",
					options: ["Email", "Call", "Meeting", "Ticket", "Survey", "Onboarding", "Training", "QBR", "Renewal", "Note"],
				},
				{
					fieldname: "sentiment",
					fieldtype: "Select",
					label: __("Sentiment"),
					default: "Neutral",
					options: ["Neutral", "Positive", "Negative"],
				},
				{
					fieldname: "contact",
					fieldtype: "Link",
					label: __("Contact"),
					options: "Contact",
					get_query: () => ({ filters: { link_doctype: "Customer", link_name: customer } }),
				},
				{ fieldname: "touchpoint_date", fieldtype: "Datetime", label: __("Date"), default: frappe.datetime.now_datetime() },
				{ fieldname: "summary", fieldtype: "Small Text", label: __("Summary"), reqd: 1 },
			],
			primary_action_label: __("Save"),
			primary_action: (values) => {
				frappe.xcall("cs_success.api.touchpoint.log_touchpoint", { customer, ...values }).then(() => {
					dialog.hide();
					frappe.show_alert({ message: __("Touchpoint saved"), indicator: "green" });
					this.refresh();
				});
			},
		});
		// The customer's name as text: a dialog's HTML field would take it as markup.
		$('<p class="cs-touchpoint-customer text-muted"></p>')
			.text(customer_name || customer)
			.appendTo(dialog.fields_dict.customer_html.$wrapper.empty());
		dialog.show();
	}
};
