"""The upload use case: central data (P3KE, DTKS, DTSEN) and agencies' recipient lists into the registry.

Data flow: file -> ``reader`` -> ``p3ke``/``dtks`` (or ``recipients``) -> plan -> preview ->
confirm -> ``plan.apply`` in one transaction -> identity scan, once for the batch.

Pure code (no Django): ``reader`` (files to rows, header found, table end), ``xlsxparts`` (formula
cells and large sheets of an xlsx), ``textfile`` (encoding and separator of .csv/.txt), ``htmltable``
(a web page's HTML table named .xls, .xlsx, .csv or .txt, read as a text table), ``spreadsheetml`` (Excel 2003
XML named .xls or .xlsx, streamed), ``columns``
(the column layouts, header matching, aid columns), ``values`` (cell values to choice codes, dates,
numbers), ``issues`` (row errors and warnings, unmapped columns and values), ``common`` (records and
the row reader), ``cells`` (the cell checks: NIK, No KK, village, choices, aid columns), ``p3ke``
and ``dtks`` (rows to validated records; ``dtks`` also reads DTSEN), ``spool`` (member records on
disk in chunks) and ``firstrows`` (each ID's first row, for the duplicate checks), ``sheetfork`` and
``p3ke_fork`` (the P3KE individual sheet read in a forked process), ``rowhash``
(row hashes: a re-sync skips the rows stored unchanged) and ``dtks_resync`` (the same for DTKS and
DTSEN families), ``snapshot`` (what the source last said, in comparable form), ``progress`` (the
progress hook).

On the registry: ``context`` (villages, column layouts and choice maps for parsing, with the saved
mappings), ``compare`` (an extract against
the registry: the ``ExtractPlan``), ``attach`` (a DTKS or DTSEN family the registry holds without a
No KK, from P3KE, recognised by its head's NIK), ``plan`` (``ImportPlan``, the interface every plan offers, and
the extract plan), ``write`` (bulk writes with history), ``aids`` (what the ``Penerima ...`` columns
claim, handed to ``programs.services.aid_claims_record``), ``recipients`` (a recipient list read
and matched: the ``RecipientPlan``), ``report`` (the error-report workbook).

Batches and running them: ``batches`` (stored originals, hash, queue, cancel), ``services``
(preview, apply, identity scan, the commands' ``run_file_import``), ``lock`` (one writing import
at a time), ``lease`` (a batch whose worker died is failed and may be retried), ``failures`` (how a
failed run is told, without the database's text), ``outcome`` (what a run reports), ``tasks`` (the
background tasks, which renew the lease), ``live`` (progress written inside an open SQLite write
transaction, through a file the status pages read).

UI: ``admin`` (upload, preview, confirm), ``views`` (status pages); the commands are
``households/management/commands/import_p3ke``, ``import_dtks``, ``import_dtsen`` and
``import_recipients``; the mappings' admin is ``households/admin_mappings``.

This package is the one part of ``households`` that imports other apps: ``programs`` (aid claims,
enrollment sources and statuses), ``dedup`` (the identity scan) and ``agencies`` (the export log of
an error-report download).
"""
