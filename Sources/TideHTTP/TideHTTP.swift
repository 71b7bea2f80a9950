// TideHTTP: see DESIGN.md.
