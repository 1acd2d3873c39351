"""CarbonFlow's Flask layer: pages and the JSON API, calling engine services only.

The engine (../engine) never imports from here. The web UI itself is built in its own issue;
until then, the `carbonflow` command line is the way in.
"""
