"""Installation and demonstration.

Schema creation plus deployment of bpmn/ and forms/ (initialise), the demo help desk and users, and the demo's
sample cases. May import everything in engine, never web.
"""
