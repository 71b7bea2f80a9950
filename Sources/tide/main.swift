print("tide: not built yet")
