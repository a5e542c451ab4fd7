"""Next cycle: what each region's new action plan starts from (its self-assessment results, last year's plan)."""
