"""Words and formats of the provider's language (English or Italian).

Labels come from a small catalogue; numbers, money and dates are formatted by
Babel for the locale (``1.234,50 €``, ``3 novembre 2026``). Amounts arrive
already rounded to the cent by the charges engine; formatting never rounds
them again in another way.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Optional

from babel import dates as babel_dates
from babel import numbers as babel_numbers

LOCALES = {"en": "en_IE", "it": "it_IT"}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "dashboard": "Dashboard", "tickets": "Tickets", "statements": "Statements", "terms": "Service terms",
        "team": "Team", "contacts": "Contacts", "home": "Home", "ticket": "Ticket", "statement": "Statement",
        "contract": "Contract", "plan": "Plan", "from": "from", "to": "to", "open_ended": "open-ended",
        "no_contract": "No contract in force: interventions are billed at the on-demand rates.",
        "open_tickets": "Open requests", "no_open_tickets": "No open requests.",
        "all_targets_met": "every target met; work in progress",
        "this_month": "This month", "compliance": "Targets met", "compliance_chart": "Targets met, last 12 months",
        "chart_alt": "Share of service targets met per month",
        "prepaid_left": "Prepaid hours left", "last_statement": "Last statement", "no_statement": "No statement yet.",
        "month": "Month", "reported": "Reported", "title": "Title", "priority": "Priority", "status": "Status",
        "resolved": "Resolved", "open": "Open", "target": "Target", "due": "Due", "met": "Met", "late": "Late",
        "met_status": "met", "breached_status": "breached", "running_status": "running", "paused": "paused",
        "description": "Description", "timeline": "Timeline", "work_reports": "Work reports", "sla": "Service targets",
        "downtime": "Downtime", "users_blocked": "users blocked", "user_hours": "working hours lost",
        "technician": "Technician", "mode": "Mode", "start": "Start", "end": "End", "outcome": "Outcome",
        "report": "Report", "parts": "Parts", "charges": "Charges", "qty": "Qty", "unit_price": "Unit price",
        "amount": "Amount", "date": "Date", "taxable": "Taxable", "vat": "VAT", "total": "Total",
        "draft": "Draft: not issued yet", "issued": "Issued", "number": "No.", "download": "Download",
        "warranty_note": "Warranty: this work was free of charge. Without warranty it would have cost",
        "free": "free", "event": "Event", "by": "by", "note": "Note", "planned": "planned",
        "no_interventions": "No intervention yet.", "no_tickets": "No requests.",
        "targets_of_priority": "Targets", "late_rule": "Late arrival", "waive": "no call-out fee and no labour charged",
        "discount_started": "{p}% discount for each started hour of delay", "discount_full": "{p}% discount for each full hour of delay",
        "repeat_free": "A visit after an intervention that did not resolve the problem is due within the top priority's time and is free of call-out and labour.",
        "repeat_charged": "A visit after an intervention that did not resolve the problem is due within the top priority's time.",
        "remote_counts": "A remote session counts as arrival on site.",
        "rates": "Rates", "onsite_hour": "On-site work, per hour", "remote_hour": "Remote support, per hour",
        "phone_hour": "Phone support, per hour", "callout": "Call-out fee, per on-site intervention",
        "increment": "Time is billed in steps of", "minimum": "Minimum billed per intervention",
        "phone_included": "Phone minutes included each month", "phone_increment": "Each call is billed in steps of",
        "fee": "Monthly fee", "working_hours": "Working hours", "working_time_note": "Times are working time of the calendar below.",
        "acknowledge": "taken in charge within", "confirm": "written confirmation of the intervention within",
        "onsite": "technician on site within", "resolve": "resolved within", "repeat": "repeat visit within",
        "holidays_note": "Closed on public holidays", "closures": "Other closures",
        "days": {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday", "sat": "Saturday", "sun": "Sunday"},  # type: ignore[dict-item]
        "provider": "Provider", "vat_id": "VAT number", "address": "Address", "phone": "Phone", "email": "Email",
        "role": "Role", "name": "Name", "our_plans": "Our service plans", "page_not_found": "Page not found",
        "packages": "Prepaid hours", "bought": "Bought", "expires": "Expires", "hours": "Hours", "used": "Used",
        "left": "Left", "expired": "expired", "warnings": "Notes", "provider_reschedules": "Appointments moved by us",
        "incident": "Incident", "via": "received by", "reported_by": "reported by", "mean_arrival": "Mean time to arrival",
        "mean_resolution": "Mean time to resolution", "working_time": "working time", "print": "Print",
        "lines_csv": "Lines (CSV)", "statement_json": "Statement (JSON)", "month_total": "Total",
        "charged": "charged", "uncharged": "not charged", "would_cost": "would have cost",
        "your_contract": "Your contract",
        "statement_head": "Statement {month}: {name} ({id})", "statement_from": "From {name}", "vat_of": "VAT {id}",
        "issued_on": "Issued: No. {n} on {d}", "no_charges": "No charges this month.", "unit": "Unit",
        "package_line": "package of {d}: {h} h{until}; {used} h used; {state}", "valid_until": ", valid until {d}",
        "hours_left": "{h} h left",
        "sla_head": "Service targets at {when}", "sla_month": ", requests reported in {month}",
        "target_acknowledge": "taken in charge", "target_confirm": "written confirmation", "target_onsite": "on site",
        "target_resolve": "resolved", "target_repeat": "repeat visit", "no_targets": "no targets",
        "sla_summary": "Targets met {met} of {decided} decided{pct}; breached {breached}; still running {running} (not in the percentage); appointments moved by us {moved}",
        "sla_means": "Mean time to arrival {arrival}, to resolution {resolution} (working time)",
        "sla_breach": "{id} {kind}: due {due}, {met}, late by {late} of working time", "sla_paused": " (paused {paused})",
        "met_on": "met {when}", "not_met": "not met yet",
        "sla_moved": "{id}: we moved the appointment once", "sla_moved_n": "{id}: we moved the appointment {n} times", "sla_all": "All customers: {summary}",
        "cancelled_status": "cancelled", "cancelled": "Cancelled", "sla_summary_cancelled": "; cancelled {n}",
        "sla_cancelled": "{id}: cancelled {when} ({reason})",
        "sla_raised": "{id}: priority raised from {before} to {to} on {when}",
        "priority_raised": "priority raised to {to}: its targets count from here", "priority_changed": "priority changed to {to}",
        "assigned_to": "assigned to {name}", "cancelled_because": "request cancelled: {reason}",
        "priority_was": "{first} when reported",
        # theme: the portal's frame (tables, 404 page, the public home's link to the customer area)
        "table": "Table", "not_found": "Page not found",
        "not_found_text": "The page you asked for does not exist or has moved. The menu leads to every page of this site.",
        "customer_area": "Customer area",
        "customer_area_text": "Customers find their requests, statements and terms in their own area, with the login we gave them.",
        # statement pages (summary, lines by request, packages, spreadsheet, print)
        "heading_fee": "Monthly fee", "heading_packages": "Prepaid hours bought", "heading_labour": "Labour",
        "heading_callout": "Call-out fees", "heading_parts": "Parts", "heading_phone": "Phone support",
        "heading_prepaid": "Prepaid hours used", "heading_discounts": "Discounts", "heading_adjustments": "Corrections",
        "statement_summary": "Summary", "statement_state": "State", "state_issued": "Issued",
        "state_to_issue": "To be issued", "state_in_progress": "In progress (draft)",
        "state_to_issue_note": "The month is over: the statement will be issued with these figures unless they are corrected.",
        "state_in_progress_note": "The month is not over: the figures grow with the work done until its end.",
        "issued_number": "No. {n} of {d}", "statement_detail": "Detail",
        "group_fee": "Monthly fee", "group_packages": "Prepaid hours bought", "group_phone": "Phone support",
        "group_adjustments": "Corrections of issued statements", "group_request": "Request",
        "reported_on": "reported {d}", "subtotal": "Subtotal",
        "used_in_month": "Used this month", "package_state": "At the end of the month",
        "package_expired": "expired on {d} with {h} h unused", "package_used_up": "used up",
        "package_low": "{h} h left (under 20%)", "package_left": "{h} h left",
        "spreadsheet": "Spreadsheet (Excel)", "draft_mark": "DRAFT", "page_word": "Page", "page_of": "of",
        "sheet_statement": "Statement", "kind": "Kind",
        # request pages (ticket, month list, terms): status of a target, columns, downtime
        "st_met": "Met", "st_breached": "Missed", "st_running": "Running", "st_cancelled": "Cancelled",
        "met_at": "Met at", "late_by": "Late by", "targets": "Targets", "state": "State",
        "downtime_working": "{d} of working time", "downtime_calendar": "{d} (24/7 calendar)",
        "users_lost": "{n} users blocked = {h} working hours lost", "user_lost": "1 user blocked = {h} working hours lost",
        "month_counts": "Targets met: {met} · missed: {breached} · running: {running}",
        "month_share": "Met on time, of the targets decided: {pct}", "open_count": "Open",
        # staff site (portal/staff.py, templates staff_*.md.j2)
        "staff_site": "staff area", "staff_overview": "Overview", "staff_today": "Today", "staff_technicians": "By technician",
        "staff_to_issue": "Statements to issue", "staff_packages": "Prepaid hours running out",
        "staff_logins": "Customer logins", "staff_history": "Request history", "staff_customer": "Customer",
        "staff_met": "Met", "staff_missed": "Missed", "staff_running": "Running", "staff_moved": "Moved by us",
        "staff_amount_so_far": "Amount so far", "staff_open": "Open requests",
        "staff_month_at": "{month}: requests reported this month, statements as they stand on {when}.",
        "staff_overview_note": "Targets of the requests reported this month (as gitdesk sla --month); amount so far: this month's statement with VAT (as gitdesk statement --month).",
        "staff_at_risk_n": "At risk: {n}", "staff_due_today_n": "Due today: {n}", "staff_to_issue_n": "Statements to issue: {n}",
        "staff_packages_n": "Packages running out: {n}", "staff_without_logins_n": "Customers without a login: {n}",
        "staff_at_risk": "At risk: due within {within} of working time, or late", "staff_due_today": "Due today",
        "staff_nothing_at_risk": "Nothing at risk.", "staff_nothing_due": "Nothing due today.",
        "staff_next": "Next target", "staff_left": "Working time left", "staff_late_by": "late by {d}",
        "staff_unassigned": "Not assigned",
        "staff_nothing_to_issue": "Every closed month is issued.", "staff_issue_hint": "Issue a month's statements with",
        "staff_month_arg": "YYYY-MM",
        "staff_no_packages": "No package runs low or expires within {days} days.", "staff_low": "under 20% left",
        "staff_expiring": "expires within {days} days",
        "staff_all_logins": "Every customer has a login.",
        "staff_no_logins_note": "These customers cannot open their site yet: give them a login with",
        "staff_customer_arg": "CUSTOMER", "staff_user_arg": "USER",
        "staff_history_intro": "Each request's file as committed to git: who changed it, when, and the commit's subject, newest first.",
        "staff_no_git": "The data repository has no git history here (it is not a git repository, or git is missing): there is nothing to show.",
        "staff_shallow": "The repository is a shallow clone: the history below is incomplete.",
        "staff_no_commits": "No commit touches the request files yet.",
        "staff_requests_n": "requests: {n}", "staff_author": "Author", "staff_subject": "Subject", "staff_commit": "Commit",
        # ---- dashboard: the three questions, prepaid hours, the chart, the contact box on every customer page
        "dash_promises": "Did we keep our promises in {month}?", "dash_met": "Met", "dash_missed": "Missed",
        "dash_running": "Running", "dash_moved": "Appointments moved by us",
        "dash_share": "{met} of {decided} decided targets met ({pct}).", "dash_running_apart": "Still running: {running} (not in the percentage).",
        "dash_none_decided": "No target decided yet this month; {running} still running.",
        "dash_no_requests": "No request this month so far.",
        "dash_misses": "Promises missed", "dash_no_misses": "No promise missed this month.",
        "miss_onsite": "late on site by {late}", "miss_repeat": "repeat visit late by {late}",
        "miss_acknowledge": "taken in charge late by {late}", "miss_confirm": "written confirmation late by {late}",
        "miss_resolve": "resolved late by {late}", "miss_appointment": "late for the appointment by {late}",
        "miss_waiting": "still waiting",
        "csq_waived_callout": "no call-out fee and no labour charged", "csq_waived": "no labour charged",
        "csq_discount_callout": "{p} discount on call-out and labour", "csq_discount": "{p} discount on labour",
        "csq_warranty": "under warranty: nothing charged",
        "csq_repeat_visit": "free repeat visit: no call-out fee and no labour charged",
        "csq_pending": "the late-arrival reduction of your service terms applies to the visit",
        "csq_none": "no reduction under your service terms", "csq_less": "less",
        "dash_owe": "What do you owe?", "dash_so_far": "{month} so far", "dash_see_statement": "See the statement",
        "dash_last": "Last statement: {month}", "dash_to_issue": "To be issued", "dash_no_last": "No earlier statement.",
        "dash_open": "What is still open?", "dash_nothing_open": "Nothing open: every request is closed.",
        "dash_due_by": "due {when}", "dash_late_by": "late by {late}", "dash_paused": "clock paused",
        "dash_packages": "Prepaid hours", "pkg_of": "Package of {d}", "pkg_left": "{left} h left of {hours} h",
        "pkg_until": "valid until {d}", "pkg_no_expiry": "no expiry", "pkg_low": "less than 20 % left",
        "pkg_used_up": "used up", "pkg_expiring": "expires within a month", "pkg_none_valid": "No valid package.",
        "chart_axis": "% of targets met", "chart_month": "{month}: {pct} ({met} of {decided} decided targets met)",
        "chart_month_none": "{month}: no target decided",
        "help_title": "Need help?", "help_call": "Call us on", "help_write": "or write to", "help_write_only": "Write to",
        "help_team": "Your contacts",
        # ---- web: the public home's entry to the customer area (portal/webserver.py answers it)
        "customer_area_id": "customer-area", "customer_code": "Customer code", "customer_enter": "Enter",
        "customer_code_hint": "Your customer code is given in the letter with your login details.",
        "customer_code_format": "Only lowercase letters, digits and hyphens, as in the letter",
    },
    "it": {
        "dashboard": "Riepilogo", "tickets": "Richieste", "statements": "Rendiconti", "terms": "Condizioni di servizio",
        "team": "Il team", "contacts": "Contatti", "home": "Home", "ticket": "Richiesta", "statement": "Rendiconto",
        "contract": "Contratto", "plan": "Piano", "from": "dal", "to": "al", "open_ended": "senza scadenza",
        "no_contract": "Nessun contratto in vigore: gli interventi sono fatturati alle tariffe a chiamata.",
        "open_tickets": "Richieste aperte", "no_open_tickets": "Nessuna richiesta aperta.",
        "all_targets_met": "obiettivi rispettati; lavori in corso",
        "this_month": "Questo mese", "compliance": "Obiettivi rispettati", "compliance_chart": "Obiettivi rispettati, ultimi 12 mesi",
        "chart_alt": "Percentuale di obiettivi di servizio rispettati per mese",
        "prepaid_left": "Ore prepagate residue", "last_statement": "Ultimo rendiconto", "no_statement": "Nessun rendiconto.",
        "month": "Mese", "reported": "Segnalata", "title": "Oggetto", "priority": "Priorità", "status": "Stato",
        "resolved": "Risolta", "open": "Aperta", "target": "Obiettivo", "due": "Scadenza", "met": "Rispettato", "late": "Ritardo",
        "met_status": "rispettato", "breached_status": "mancato", "running_status": "in corso", "paused": "in pausa",
        "description": "Descrizione", "timeline": "Cronologia", "work_reports": "Rapporti d'intervento", "sla": "Obiettivi di servizio",
        "downtime": "Fermo", "users_blocked": "utenti bloccati", "user_hours": "ore di lavoro perse",
        "technician": "Tecnico", "mode": "Modalità", "start": "Inizio", "end": "Fine", "outcome": "Esito",
        "report": "Rapporto", "parts": "Ricambi", "charges": "Addebiti", "qty": "Q.tà", "unit_price": "Prezzo unitario",
        "amount": "Importo", "date": "Data", "taxable": "Imponibile", "vat": "IVA", "total": "Totale",
        "draft": "Bozza: non ancora emesso", "issued": "Emesso", "number": "N.", "download": "Scarica",
        "warranty_note": "Garanzia: l'intervento è gratuito. Senza garanzia sarebbe costato",
        "free": "gratuito", "event": "Evento", "by": "da", "note": "Nota", "planned": "previsto",
        "no_interventions": "Nessun intervento finora.", "no_tickets": "Nessuna richiesta.",
        "targets_of_priority": "Obiettivi", "late_rule": "Arrivo in ritardo", "waive": "nessun diritto di chiamata e nessuna manodopera addebitati",
        "discount_started": "sconto del {p}% per ogni ora di ritardo iniziata", "discount_full": "sconto del {p}% per ogni ora intera di ritardo",
        "repeat_free": "Dopo un intervento che non ha risolto il problema, la nuova visita è dovuta entro il tempo della priorità massima ed è senza diritto di chiamata né manodopera.",
        "repeat_charged": "Dopo un intervento che non ha risolto il problema, la nuova visita è dovuta entro il tempo della priorità massima.",
        "remote_counts": "Una sessione remota vale come arrivo sul posto.",
        "rates": "Tariffe", "onsite_hour": "Intervento sul posto, all'ora", "remote_hour": "Assistenza remota, all'ora",
        "phone_hour": "Assistenza telefonica, all'ora", "callout": "Diritto di chiamata, per intervento sul posto",
        "increment": "Il tempo è fatturato a scatti di", "minimum": "Minimo fatturato per intervento",
        "phone_included": "Minuti di telefono inclusi ogni mese", "phone_increment": "Ogni chiamata è fatturata a scatti di",
        "fee": "Canone mensile", "working_hours": "Orario di lavoro", "working_time_note": "I tempi si intendono in orario lavorativo del calendario qui sotto.",
        "acknowledge": "presa in carico entro", "confirm": "conferma d'intervento scritta entro",
        "onsite": "tecnico sul posto entro", "resolve": "risoluzione entro", "repeat": "nuova visita entro",
        "holidays_note": "Chiuso nei giorni festivi", "closures": "Altre chiusure",
        "days": {"mon": "lunedì", "tue": "martedì", "wed": "mercoledì", "thu": "giovedì", "fri": "venerdì", "sat": "sabato", "sun": "domenica"},  # type: ignore[dict-item]
        "provider": "Fornitore", "vat_id": "Partita IVA", "address": "Indirizzo", "phone": "Telefono", "email": "Email",
        "role": "Ruolo", "name": "Nome", "our_plans": "I nostri piani di assistenza", "page_not_found": "Pagina non trovata",
        "packages": "Ore prepagate", "bought": "Acquistato", "expires": "Scadenza", "hours": "Ore", "used": "Usate",
        "left": "Residue", "expired": "scaduto", "warnings": "Note", "provider_reschedules": "Appuntamenti spostati da noi",
        "incident": "Guasto comune", "via": "ricevuta tramite", "reported_by": "segnalata da", "mean_arrival": "Tempo medio di arrivo",
        "mean_resolution": "Tempo medio di risoluzione", "working_time": "in orario lavorativo", "print": "Stampa",
        "lines_csv": "Righe (CSV)", "statement_json": "Rendiconto (JSON)", "month_total": "Totale",
        "charged": "addebitato", "uncharged": "non addebitato", "would_cost": "sarebbe costato",
        "your_contract": "Il tuo contratto",
        "statement_head": "Rendiconto {month}: {name} ({id})", "statement_from": "Da {name}", "vat_of": "P. IVA {id}",
        "issued_on": "Emesso: N. {n} del {d}", "no_charges": "Nessun addebito questo mese.", "unit": "Prezzo",
        "package_line": "pacchetto del {d}: {h} h{until}; {used} h usate; {state}", "valid_until": ", valido fino al {d}",
        "hours_left": "{h} h residue",
        "sla_head": "Obiettivi di servizio al {when}", "sla_month": ", richieste ricevute nel mese di {month}",
        "target_acknowledge": "presa in carico", "target_confirm": "conferma scritta", "target_onsite": "sul posto",
        "target_resolve": "risoluzione", "target_repeat": "nuova visita", "no_targets": "nessun obiettivo",
        "sla_summary": "Obiettivi rispettati {met} su {decided} già valutati{pct}; mancati {breached}; ancora in corso {running} (esclusi dalla percentuale); appuntamenti spostati da noi {moved}",
        "sla_means": "Tempo medio di arrivo {arrival}, di risoluzione {resolution} (tempo lavorativo)",
        "sla_breach": "{id} {kind}: scadenza {due}, {met}, in ritardo di {late} di tempo lavorativo", "sla_paused": " (in pausa {paused})",
        "met_on": "rispettato il {when}", "not_met": "non ancora rispettato",
        "sla_moved": "{id}: abbiamo spostato l'appuntamento una volta", "sla_moved_n": "{id}: abbiamo spostato l'appuntamento {n} volte", "sla_all": "Tutti i clienti: {summary}",
        "cancelled_status": "annullato", "cancelled": "Annullata", "sla_summary_cancelled": "; annullati {n}",
        "sla_cancelled": "{id}: annullata il {when} ({reason})",
        "sla_raised": "{id}: priorità alzata da {before} a {to} il {when}",
        "priority_raised": "priorità alzata a {to}: i suoi obiettivi contano da qui", "priority_changed": "priorità cambiata in {to}",
        "assigned_to": "assegnata a {name}", "cancelled_because": "richiesta annullata: {reason}",
        "priority_was": "{first} alla segnalazione",
        # theme: la cornice del portale (tabelle, pagina 404, collegamento all'area clienti dalla pagina pubblica)
        "table": "Tabella", "not_found": "Pagina non trovata",
        "not_found_text": "La pagina richiesta non esiste o è stata spostata. Il menu porta a tutte le pagine del sito.",
        "customer_area": "Area clienti",
        "customer_area_text": "I clienti trovano le loro richieste, i rendiconti e le condizioni nella propria area, con le credenziali che abbiamo fornito.",
        # statement pages (summary, lines by request, packages, spreadsheet, print)
        "heading_fee": "Canone", "heading_packages": "Ore prepagate acquistate", "heading_labour": "Manodopera",
        "heading_callout": "Diritti di chiamata", "heading_parts": "Ricambi", "heading_phone": "Assistenza telefonica",
        "heading_prepaid": "Ore prepagate usate", "heading_discounts": "Sconti", "heading_adjustments": "Rettifiche",
        "statement_summary": "In sintesi", "statement_state": "Stato", "state_issued": "Emesso",
        "state_to_issue": "Da emettere", "state_in_progress": "In corso (bozza)",
        "state_to_issue_note": "Il mese è chiuso: il rendiconto sarà emesso con questi importi, salvo rettifiche.",
        "state_in_progress_note": "Il mese non è finito: gli importi crescono con il lavoro svolto fino alla sua fine.",
        "issued_number": "N. {n} del {d}", "statement_detail": "Dettaglio",
        "group_fee": "Canone mensile", "group_packages": "Ore prepagate acquistate", "group_phone": "Assistenza telefonica",
        "group_adjustments": "Rettifiche di rendiconti emessi", "group_request": "Richiesta",
        "reported_on": "segnalata il {d}", "subtotal": "Subtotale",
        "used_in_month": "Usate nel mese", "package_state": "A fine mese",
        "package_expired": "scaduto il {d} con {h} h non usate", "package_used_up": "esaurito",
        "package_low": "{h} h residue (meno del 20%)", "package_left": "{h} h residue",
        "spreadsheet": "Foglio di calcolo (Excel)", "draft_mark": "BOZZA", "page_word": "Pagina", "page_of": "di",
        "sheet_statement": "Rendiconto", "kind": "Voce",
        # pagine delle richieste (richiesta, elenco del mese, condizioni): stato di un obiettivo, colonne, fermo
        "st_met": "Rispettato", "st_breached": "Mancato", "st_running": "In corso", "st_cancelled": "Annullato",
        "met_at": "Raggiunto il", "late_by": "Ritardo", "targets": "Obiettivi", "state": "Stato",
        "downtime_working": "{d} di orario lavorativo", "downtime_calendar": "{d} (calendario 24 ore su 24)",
        "users_lost": "{n} utenti bloccati = {h} ore di lavoro perse", "user_lost": "1 utente bloccato = {h} ore di lavoro perse",
        "month_counts": "Obiettivi rispettati: {met} · mancati: {breached} · in corso: {running}",
        "month_share": "Rispettati in tempo, sugli obiettivi già decisi: {pct}", "open_count": "Aperte",
        # staff site (portal/staff.py, templates staff_*.md.j2)
        "staff_site": "area riservata al personale", "staff_overview": "Panoramica", "staff_today": "Oggi",
        "staff_technicians": "Per tecnico", "staff_to_issue": "Rendiconti da emettere",
        "staff_packages": "Ore prepagate in esaurimento", "staff_logins": "Accessi dei clienti",
        "staff_history": "Storico delle richieste", "staff_customer": "Cliente",
        "staff_met": "Rispettati", "staff_missed": "Mancati", "staff_running": "In corso", "staff_moved": "Spostati da noi",
        "staff_amount_so_far": "Importo finora", "staff_open": "Richieste aperte",
        "staff_month_at": "{month}: richieste ricevute nel mese, rendiconti come risultano il {when}.",
        "staff_overview_note": "Obiettivi delle richieste ricevute nel mese (come gitdesk sla --month); importo finora: il rendiconto del mese IVA inclusa (come gitdesk statement --month).",
        "staff_at_risk_n": "A rischio: {n}", "staff_due_today_n": "In scadenza oggi: {n}", "staff_to_issue_n": "Rendiconti da emettere: {n}",
        "staff_packages_n": "Pacchetti in esaurimento: {n}", "staff_without_logins_n": "Clienti senza accesso: {n}",
        "staff_at_risk": "A rischio: in scadenza entro {within} di tempo lavorativo, o in ritardo", "staff_due_today": "In scadenza oggi",
        "staff_nothing_at_risk": "Nessuna richiesta a rischio.", "staff_nothing_due": "Nessuna scadenza oggi.",
        "staff_next": "Prossimo obiettivo", "staff_left": "Tempo lavorativo residuo", "staff_late_by": "in ritardo di {d}",
        "staff_unassigned": "Non assegnate",
        "staff_nothing_to_issue": "Tutti i mesi chiusi sono stati emessi.", "staff_issue_hint": "I rendiconti di un mese si emettono con",
        "staff_month_arg": "AAAA-MM",
        "staff_no_packages": "Nessun pacchetto in esaurimento o in scadenza entro {days} giorni.", "staff_low": "meno del 20% residuo",
        "staff_expiring": "scade entro {days} giorni",
        "staff_all_logins": "Tutti i clienti hanno un accesso.",
        "staff_no_logins_note": "Questi clienti non possono ancora aprire il loro sito: si crea un accesso con",
        "staff_customer_arg": "CLIENTE", "staff_user_arg": "UTENTE",
        "staff_history_intro": "Il file di ogni richiesta come registrato in git: chi l'ha modificato, quando e con quale descrizione, dal più recente.",
        "staff_no_git": "Qui il repository dei dati non ha una cronologia git (non è un repository git, oppure git non è installato): non c'è nulla da mostrare.",
        "staff_shallow": "Il repository è una copia parziale (clone superficiale): la cronologia qui sotto è incompleta.",
        "staff_no_commits": "Nessuna modifica registrata riguarda ancora i file delle richieste.",
        "staff_requests_n": "richieste: {n}", "staff_author": "Autore", "staff_subject": "Descrizione", "staff_commit": "Revisione",
        # ---- dashboard: the three questions, prepaid hours, the chart, the contact box on every customer page
        "dash_promises": "Abbiamo mantenuto le promesse a {month}?", "dash_met": "Rispettati", "dash_missed": "Mancati",
        "dash_running": "In corso", "dash_moved": "Appuntamenti spostati da noi",
        "dash_share": "Obiettivi rispettati: {met} su {decided} già valutati ({pct}).", "dash_running_apart": "Ancora in corso: {running} (esclusi dalla percentuale).",
        "dash_none_decided": "Nessun obiettivo ancora valutato questo mese; in corso: {running}.",
        "dash_no_requests": "Nessuna richiesta questo mese, finora.",
        "dash_misses": "Promesse mancate", "dash_no_misses": "Nessuna promessa mancata questo mese.",
        "miss_onsite": "arrivo in ritardo di {late}", "miss_repeat": "nuova visita in ritardo di {late}",
        "miss_acknowledge": "presa in carico in ritardo di {late}", "miss_confirm": "conferma scritta in ritardo di {late}",
        "miss_resolve": "risoluzione in ritardo di {late}", "miss_appointment": "arrivo in ritardo di {late} sull'appuntamento",
        "miss_waiting": "ancora in attesa",
        "csq_waived_callout": "diritto di chiamata e manodopera non addebitati", "csq_waived": "manodopera non addebitata",
        "csq_discount_callout": "sconto del {p} su diritto di chiamata e manodopera", "csq_discount": "sconto del {p} sulla manodopera",
        "csq_warranty": "in garanzia: nulla addebitato",
        "csq_repeat_visit": "nuova visita gratuita: diritto di chiamata e manodopera non addebitati",
        "csq_pending": "all'intervento si applica la riduzione per il ritardo prevista dalle condizioni di servizio",
        "csq_none": "nessuna riduzione prevista dalle condizioni di servizio", "csq_less": "in meno",
        "dash_owe": "Quanto c'è da pagare?", "dash_so_far": "{month}, finora", "dash_see_statement": "Vedi il rendiconto",
        "dash_last": "Ultimo rendiconto: {month}", "dash_to_issue": "Da emettere", "dash_no_last": "Nessun rendiconto precedente.",
        "dash_open": "Cosa resta aperto?", "dash_nothing_open": "Nessuna richiesta aperta: tutte sono chiuse.",
        "dash_due_by": "scade il {when}", "dash_late_by": "in ritardo di {late}", "dash_paused": "conteggio in pausa",
        "dash_packages": "Ore prepagate", "pkg_of": "Pacchetto del {d}", "pkg_left": "{left} h residue su {hours} h",
        "pkg_until": "valido fino al {d}", "pkg_no_expiry": "senza scadenza", "pkg_low": "resta meno del 20 %",
        "pkg_used_up": "esaurito", "pkg_expiring": "scade entro un mese", "pkg_none_valid": "Nessun pacchetto valido.",
        "chart_axis": "% obiettivi rispettati", "chart_month": "{month}: {pct} ({met} su {decided} obiettivi valutati rispettati)",
        "chart_month_none": "{month}: nessun obiettivo valutato",
        "help_title": "Serve aiuto?", "help_call": "Chiamaci al", "help_write": "oppure scrivici a", "help_write_only": "Scrivici a",
        "help_team": "I tuoi referenti",
        # ---- web: l'ingresso all'area clienti dalla home pubblica (portal/webserver.py risponde)
        "customer_area_id": "area-clienti", "customer_code": "Codice cliente", "customer_enter": "Entra",
        "customer_code_hint": "Il codice cliente è indicato nella lettera con le credenziali di accesso.",
        "customer_code_format": "Solo lettere minuscole, cifre e trattini, come nella lettera",
    },
}

WORDS = {
    "en": {
        "acknowledged": "taken in charge", "confirmed": "intervention confirmed", "rescheduled": "appointment moved",
        "waiting": "waiting", "resumed": "resumed", "resolved": "request resolved", "reopened": "request reopened",
        "onsite": "on site", "remote": "remote", "phone": "phone", "unresolved": "not resolved", "continues": "continues",
        "customer": "by the customer", "provider": "by us", "email": "email", "portal": "portal", "monitoring": "monitoring",
        "visit": "visit", "priority": "priority changed", "assigned": "assigned", "cancelled": "cancelled",
        "duplicate": "duplicate request", "withdrawn": "withdrawn by the customer",
    },
    "it": {
        "acknowledged": "presa in carico", "confirmed": "intervento confermato", "rescheduled": "appuntamento spostato",
        "waiting": "in attesa", "resumed": "ripresa", "resolved": "richiesta risolta", "reopened": "richiesta riaperta",
        "onsite": "sul posto", "remote": "da remoto", "phone": "telefono", "unresolved": "non risolto", "continues": "prosegue",
        "customer": "dal cliente", "provider": "da noi", "email": "email", "portal": "portale", "monitoring": "monitoraggio",
        "visit": "visita", "priority": "priorità cambiata", "assigned": "assegnata", "cancelled": "annullata",
        "duplicate": "richiesta doppia", "withdrawn": "ritirata dal cliente",
    },
}


#: What an intervention's outcome says, agreeing with "intervention" ("intervento", masculine).
OUTCOMES = {
    "en": {"resolved": "resolved", "unresolved": "not resolved", "continues": "to be continued"},
    "it": {"resolved": "risolto", "unresolved": "non risolto", "continues": "da completare"},
}

#: The usual names of priorities, in each language, agreeing with "priority" ("priorità", feminine).
#: A plan's own ``label:`` comes first; a name not here is shown as the plan writes it.
PRIORITIES = {
    "en": {"urgent": "urgent", "normal": "normal", "low": "low", "high": "high", "medium": "medium", "critical": "critical"},
    "it": {"urgent": "urgente", "normal": "normale", "low": "bassa", "high": "alta", "medium": "media", "critical": "critica"},
}


def priority_label(plan, name: Optional[str], language: str) -> str:
    """What a customer reads for priority ``name`` of ``plan``: the plan's ``label:`` in ``language``,
    else the usual word for a usual name, else the name as the plan writes it (``next-day`` as ``next day``)."""
    if not name:
        return ""
    priority = plan.priorities.get(name) if plan is not None else None
    label = priority.label if priority is not None else None
    if label and language in label:
        return label[language]
    return PRIORITIES.get(language, PRIORITIES["en"]).get(name) or name.replace("-", " ")


def duration_text(value: Optional[dt.timedelta], language: str = "en", calendar: bool = False, space: str = " ") -> str:
    """A duration as the language writes it: ``9 h 15 min``, ``45 min``, ``83 h``.

    Working time is hours and minutes, never days (a working day is not 24
    hours); only a span of ``calendar`` time of a day or more is said with
    days as well (``2 g 3 h``, ``2 d 3 h``). Seconds are dropped. ``space`` goes
    between the figures and their units (a no-break space on a page: a
    duration never breaks across two lines).
    """
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days = 0
    if calendar:
        days, minutes = divmod(minutes, 24 * 60)
    hours, mins = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days}{space}{'g' if language == 'it' else 'd'}")
    if hours:
        parts.append(f"{hours}{space}h")
    if mins or not parts:
        parts.append(f"{mins}{space}min")
    return sign + space.join(parts)


def month_text(language: str, day: dt.date) -> str:
    """The month of ``day`` as a customer reads it: "ottobre 2026", "October 2026"."""
    return babel_dates.format_date(day, format="LLLL y", locale=LOCALES.get(language, LOCALES["en"]))


#: Italian articles and prepositions before a day number said with a vowel (8, 11): "dell'8", "all'11".
_ELISION = re.compile(r"\b(il|al|del|dal|nel) (8|11) ")
_ELIDED = {"il": "l'", "al": "all'", "del": "dell'", "dal": "dall'", "nel": "nell'"}


def elide(text: str) -> str:
    """Italian text with the article or preposition before the 8th or the 11th elided ("il 8" -> "l'8")."""
    return _ELISION.sub(lambda m: f"{_ELIDED[m.group(1)]}{m.group(2)} ", text)


#: The day in a date pattern (``d``, not ``dd`` nor a quoted letter).
_DAY_FIELD = re.compile(r"(?<![d'])d(?![d'])")


def date_text(day: dt.date, form: str, locale: str) -> str:
    """A date as Babel writes it in ``locale``, but for one Italian custom Babel
    does not follow: the first of the month said as an ordinal where the month is
    spelled out ("1° gennaio 2026", "dal 1° marzo"; "1 gen 2026" stays)."""
    if day.day == 1 and locale.startswith("it") and form in ("long", "full"):
        pattern = babel_dates.get_date_format(form, locale=locale).pattern
        return babel_dates.format_date(day, format=_DAY_FIELD.sub("d'°'", pattern, count=1), locale=locale)
    return babel_dates.format_date(day, format=form, locale=locale)


class Locale:
    """Labels and formats of one language; what templates call to show a value."""

    def __init__(self, language: str, currency: str = "EUR", tz: Optional[dt.tzinfo] = None):
        self.language = language if language in LABELS else "en"
        self.locale = LOCALES[self.language]
        self.currency = currency
        self.tz = tz or dt.timezone.utc
        self.labels = LABELS[self.language]
        #: Dates already written, by (day, form): Babel formats a date slowly next to a look-up,
        #: and a long table of tickets shows the same few hundred days over and over.
        self._dates: dict[tuple[dt.date, str], str] = {}
        self.space = " "  # between a duration's figures and units (see for_pages)

    @classmethod
    def of(cls, provider) -> "Locale":
        """The locale a provider's customers read: its language, currency and zone (English in UTC without one)."""
        if provider is None:
            return cls("en", "EUR", dt.timezone.utc)
        return cls(provider.language, provider.currency, provider.tz)

    def for_pages(self) -> "Locale":
        """The same locale for web pages: a duration is kept on one line ("9 h 15 min" with no-break spaces)."""
        pages = Locale(self.language, self.currency, self.tz)
        pages.space = "\u00a0"
        return pages

    def __call__(self, key: str, **params) -> str:
        text = self.labels.get(key, key)
        if not params:
            return text
        text = text.format(**params)
        return elide(text) if self.language == "it" else text

    def word(self, key: Optional[str]) -> str:
        if key is None:
            return ""
        return WORDS[self.language].get(key, key)

    def outcome(self, key: Optional[str]) -> str:
        """An intervention's outcome (``unresolved`` -> "non risolto")."""
        if key is None:
            return ""
        return OUTCOMES[self.language].get(key, key)

    def priority(self, plan, name: Optional[str]) -> str:
        """Priority ``name`` of ``plan`` as customers read it (see :func:`priority_label`)."""
        return priority_label(plan, name, self.language)

    def day_name(self, key: str) -> str:
        return self.labels["days"][key]  # type: ignore[index]

    # formats -------------------------------------------------------------

    def money(self, amount: Optional[Decimal]) -> str:
        if amount is None:
            return ""
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(f"{amount} is not rounded to the cent")
        return babel_numbers.format_currency(amount, self.currency, locale=self.locale)

    def number(self, value, digits: int = 2) -> str:
        if value is None:
            return ""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return babel_numbers.format_decimal(value, format=pattern, locale=self.locale)

    def quantity(self, value: Decimal) -> str:
        """A quantity with the decimals it needs (1, 1,5, 0,25)."""
        return babel_numbers.format_decimal(value.normalize() if value == value.to_integral() else value, locale=self.locale)

    def percent(self, value: Optional[Decimal]) -> str:
        if value is None:
            return "–"
        return babel_numbers.format_decimal(value, format="#,##0.#", locale=self.locale) + " %"

    def date(self, day: Optional[dt.date], form: str = "long") -> str:
        if day is None:
            return ""
        key = (day, form)
        text = self._dates.get(key)
        if text is None:
            text = self._dates[key] = date_text(day, form, self.locale)
        return text

    def moment(self, when: Optional[dt.datetime]) -> str:
        """A moment as the provider's wall time: ``3 nov 2026 09:10``."""
        if when is None:
            return ""
        local = when.astimezone(self.tz)
        return f"{self.date(local.date(), 'medium')} {local.hour:02d}:{local.minute:02d}"

    def span(self, start: Optional[dt.datetime], end: Optional[dt.datetime]) -> str:
        """From ``start`` to ``end`` as wall times, the day once when both fall on it: ``21 ott 2026 08:55–10:15``."""
        if start is None or end is None:
            return self.moment(start or end)
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        if a.date() == b.date():
            return f"{self.moment(start)}–{b.hour:02d}:{b.minute:02d}"
        return f"{self.moment(start)} – {self.moment(end)}"

    def downtime(self, downtime: Optional[dt.timedelta], basis: Optional[str], users: Optional[int],
                 hours: Optional[Decimal]) -> str:
        """A request's downtime, in which time it counts, and the working hours its blocked users lost:
        "3 h 20 min di orario lavorativo, 12 utenti bloccati = 40,00 ore di lavoro perse"."""
        if downtime is None:
            return ""
        calendar = basis == "calendar"
        text = self("downtime_calendar" if calendar else "downtime_working", d=self.duration(downtime, calendar=calendar))
        if users is None:
            return text
        lost = self("user_lost", h=self.number(hours)) if users == 1 else self("users_lost", n=users, h=self.number(hours))
        return f"{text}, {lost}"

    def month(self, month: str) -> str:
        """``2026-11`` as ``November 2026`` / ``novembre 2026``."""
        return month_text(self.language, dt.date(int(month[:4]), int(month[5:7]), 1))

    def duration(self, value: Optional[dt.timedelta], calendar: bool = False) -> str:
        """A duration: hours and minutes (working time); with ``calendar``, days too (see :func:`duration_text`)."""
        return duration_text(value, self.language, calendar, self.space)

    def short_month(self, month: str) -> str:
        """``2026-11`` as a chart labels it: ``Nov 2026`` / ``nov 2026``."""
        return babel_dates.format_date(dt.date(int(month[:4]), int(month[5:7]), 1), format="LLL y", locale=self.locale)
