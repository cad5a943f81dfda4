import "./bands.js";
import "./report_filters.js";
import "./suggest_weights.js";
import "./first_run.js";
