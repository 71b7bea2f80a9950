// TideGit: see DESIGN.md.
