"""EcoHash Console: the demo host application that mounts the privacy self-service plugin.

It stands for a company's existing console (inference API, GPU instances, fine-tunes, model
marketplace) with its own tables. It is not part of the plugin's wheel; ``wsgi.py`` builds it.
"""
