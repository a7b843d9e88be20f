"""Research screens: hand coding, validation against gold labels, comparison runs, methods reports.

They show what app.core.research computes and send the person's intents to it; every figure
comes from the core, and long work runs in background Tasks.
"""
