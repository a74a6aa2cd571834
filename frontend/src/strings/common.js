// Strings every page uses: the company, the header and footer, API errors.
// The company's name and description live here: edit them for your company.
import { addStrings, plural } from '../lib/i18n.js';

addStrings({
  it: {
    'company.name': 'Compagnia del Ponte',
    'company.tagline': 'Teatro di parola a Bologna, dal 1998',
    'company.about':
      'Siamo una piccola compagnia indipendente: dieci attori, una sala da 120 posti sotto il Ponte ' +
      'e la convinzione che il teatro sia prima di tutto una conversazione. Mettiamo in scena i ' +
      'classici italiani ed europei con poche luci, molta parola e il pubblico vicino.',
    'company.about2':
      'Le prenotazioni sono gratuite: scegli una replica, lascia nome ed email e conferma dal link ' +
      'che ti inviamo. Il biglietto con il codice QR arriva per email; mostralo all\u2019ingresso.',
    'company.address': 'Teatro del Ponte \u00b7 Via del Ponte 12 \u00b7 Bologna',
    'nav.skip': 'Vai al contenuto',
    'nav.home': 'Programma',
    'nav.home_label': 'Compagnia del Ponte, pagina iniziale',
    'lang.switch': 'English',
    'lang.switch_label': 'Switch to English',
    'footer.privacy': 'Usiamo i tuoi dati solo per la prenotazione; li cancelliamo alcuni mesi dopo lo spettacolo.',
    'footer.privacy_link': 'Informativa sulla privacy',
    'footer.lookup': 'Hai perso l\u2019email? Inviami le mie prenotazioni',
    loading: 'Caricamento\u2026',
    retry: 'Riprova',
    'back.home': 'Torna al programma',
    'error.title': 'Qualcosa non ha funzionato',
    'error.network_error': 'Impossibile raggiungere il server. Controlla la connessione e riprova.',
    'error.unavailable': 'Il servizio non \u00e8 disponibile in questo momento. Riprova tra poco.',
    'error.rate_limited': 'Troppe richieste in poco tempo. Attendi un minuto e riprova.',
    'error.too_many_requests': 'Troppe richieste in poco tempo. Attendi un minuto e riprova.',
    'error.internal_error': 'Errore interno del server. Riprova tra poco.',
    'error.http_error': 'Risposta inattesa dal server. Riprova tra poco.',
    'error.not_found': 'Pagina non trovata.',
    'state.available': 'Disponibile',
    'state.few_left': 'Ultimi posti',
    'state.sold_out': 'Esaurito',
    'state.closed': 'Prenotazioni chiuse',
    'state.cancelled': 'Annullato',
    seats: plural('{n} posto', '{n} posti'),
    'seats.left': plural('{n} posto disponibile', '{n} posti disponibili'),
    minutes: plural('{n} minuto', '{n} minuti'),
  },
  en: {
    'company.name': 'Compagnia del Ponte',
    'company.tagline': 'Spoken-word theatre in Bologna, since 1998',
    'company.about':
      'We are a small independent company: ten actors, a 120-seat hall under the Bridge and the ' +
      'belief that theatre is above all a conversation. We stage Italian and European classics ' +
      'with few lights, many words and the audience close by.',
    'company.about2':
      'Booking is free: pick a performance, leave your name and email and confirm from the link ' +
      'we send you. Your ticket with its QR code arrives by email; show it at the door.',
    'company.address': 'Teatro del Ponte \u00b7 Via del Ponte 12 \u00b7 Bologna',
    'nav.skip': 'Skip to content',
    'nav.home': 'Programme',
    'nav.home_label': 'Compagnia del Ponte, home page',
    'lang.switch': 'Italiano',
    'lang.switch_label': 'Passa all\u2019italiano',
    'footer.privacy': 'We use your data only for your booking, and delete it some months after the show.',
    'footer.privacy_link': 'Privacy notice',
    'footer.lookup': 'Lost the email? Send me my bookings',
    loading: 'Loading\u2026',
    retry: 'Try again',
    'back.home': 'Back to the programme',
    'error.title': 'Something went wrong',
    'error.network_error': 'The server cannot be reached. Check your connection and try again.',
    'error.unavailable': 'The service is unavailable right now. Please try again shortly.',
    'error.rate_limited': 'Too many requests in a short time. Wait a minute and try again.',
    'error.too_many_requests': 'Too many requests in a short time. Wait a minute and try again.',
    'error.internal_error': 'Internal server error. Please try again shortly.',
    'error.http_error': 'Unexpected answer from the server. Please try again shortly.',
    'error.not_found': 'Page not found.',
    'state.available': 'Available',
    'state.few_left': 'Few seats left',
    'state.sold_out': 'Sold out',
    'state.closed': 'Booking closed',
    'state.cancelled': 'Cancelled',
    seats: plural('{n} seat', '{n} seats'),
    'seats.left': plural('{n} seat available', '{n} seats available'),
    minutes: plural('{n} minute', '{n} minutes'),
  },
});
