"""The plan's table of entries as a spreadsheet, in both directions.

City staff edit the plan in its own layout (施策別事業一覧表), not in Turtle:

- :mod:`.layout` – the columns, in the plan's order, with ja/en headers and help;
- :mod:`.context` – what the table refers to (plan, policies, PJ, flag columns, …);
- :mod:`.model` – one row as values, and the one definition of the triples it means;
- :mod:`.export` – entries graph → rows → cells (checked to import back exactly);
- :mod:`.read`, :mod:`.cells` – CSV/XLSX → cell texts, refusing bad encodings and formulas;
- :mod:`.parse` – cell texts → rows, with an error per bad cell (sheet, row, column);
- :mod:`.files` – the file-level API used by the commands and the web page.
"""
