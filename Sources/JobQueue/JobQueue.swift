// JobQueue module.
