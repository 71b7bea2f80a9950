// TideConfig: see DESIGN.md.
