"""The bulk import engine for central data (P3KE, DTKS) and agencies' recipient lists.

Pure layers (no Django): ``reader`` (files to rows, header found), ``columns`` (header maps),
``values`` (cell values to choice codes, dates, numbers), ``issues`` (row errors and warnings),
``p3ke`` and ``dtks`` (rows to validated records). Django layers: ``sync`` (the plan: diff
against the registry, then one transactional bulk write) and ``report`` (the error-report xlsx).
"""
