"""The conformance suite: one set of cases, on the emulator and on the real SDK in Pyodide."""
