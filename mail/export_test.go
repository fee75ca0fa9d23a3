package mail

// ForgetParsedTemplates makes the next Render of every kind parse its templates again, so a test can
// exercise the first, lazy parse.
func ForgetParsedTemplates() { templates = lazyTemplates() }
