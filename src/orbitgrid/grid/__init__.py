"""The grid as a site sees it: hourly price and carbon-intensity series per zone."""
