"""Posting the Markdown report to a pull request (merge request) as one sticky comment.

`sticky.py` decides what to do with the comments found (create, update, leave, delete);
`http.py` talks to a REST API (retries, rate limits, pagination, errors without the token);
`github.py` and `gitlab.py` are the two forges' endpoints and CI defaults."""
