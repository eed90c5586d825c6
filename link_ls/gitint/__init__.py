"""Everything that talks to git: repositories and revisions, index stages, line merges, install.

The modules are imported by name (``link_ls.gitint.repo``, ``.stages``,
``.mergefile``, ``.install``), so asking for one never loads GitPython for another:
the merge driver, which git runs once per file, does not pay for it.
"""
