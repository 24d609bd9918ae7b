"""The support-case domain: pure Python, no I/O, no clocks, no frameworks.

Everything a newcomer needs to find a rule by its name lives here.
"""
