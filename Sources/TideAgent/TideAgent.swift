// TideAgent: see DESIGN.md.
