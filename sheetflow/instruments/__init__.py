"""Made: the instruments' definitions turned into locked workbooks, one per person on the roster, recorded in the manifest."""
