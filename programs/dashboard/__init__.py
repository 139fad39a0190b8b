"""The Bappeda dashboard: ``selectors`` compute the figures in SQL, ``presenters`` build the tables
(page, charts, xlsx), ``views`` and ``urls`` serve them with the distribution pages; the templates
are in ``templates/dashboard/``."""
