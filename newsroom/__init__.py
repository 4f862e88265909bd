"""The newsroom: an editor outside the domain that rewrites the domain's stories.

``editor.py`` is its pure half: the editorial prompt for a story, the strict reading of
a model's reply, and the PUBLISH_ARTICLE command that carries it onto the season's
command stream (the domain decides it: domain/rules/articles.py).
"""
