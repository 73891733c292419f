"""gradscope report: reads result folders and benchmark JSON, draws the figures, writes HTML and Markdown."""
