"""A desktop mock core system: 「介護保険総合システム クライアント版」, a Tk client.

Another vendor's thick client for two 介護 procedures (被保険者証の再交付申請,
介護保険負担割合証の再交付申請), with no DOM: a bot sees its pixels and sends keys.
Start it with ``python -m mock_core_ui.desktop``; its manual is docs/mock-desktop.md.
``store.registrations(path)`` is how tests read what was registered.
"""
