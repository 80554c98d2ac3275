"""The Pyodide harness: the bundle with the real workers-runtime-sdk, in Pyodide under Node."""
