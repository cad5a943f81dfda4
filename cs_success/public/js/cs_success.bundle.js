import "./report_filters.js";
