"""Instruments: the definitions in workbook_templates/, and the locked workbooks made from them."""
