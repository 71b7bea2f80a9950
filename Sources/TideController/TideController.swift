// TideController: see DESIGN.md.
