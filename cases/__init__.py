"""The one door to the cases: start, signal, update, query, list and read histories.

Client code: it runs outside the workflow sandbox, so the sandbox rules of workflows/ do not
apply here.
"""
