# Kept free of frappe imports: tier 1 tests import the pure modules below this package.
__version__ = "0.1.0"
