"""The only package that imports SpiffWorkflow: parsing, restricted scripting, state, runtime."""
