// TideStore: see DESIGN.md.
