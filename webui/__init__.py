"""CarbonFlow's Flask layer: pages and the JSON API, calling engine services only.

The engine (../engine) never imports from here. `webui.app.create_app` builds the application;
`carbonflow serve` (cli/serve.py) serves it with waitress and the background worker in-process.
"""
