// The badges a need shows in the library and on its own page.
import { badge } from '../dom.js';
import { codeLabel, needStatus } from '../labels.js';

const URGENCY_CLASS = { urgent: 'urgent', major: 'major', routine: '' };
const STATUS_CLASS = { raised: 'warn', reopened: 'warn', routed: 'routed', matched: 'matched', resolved: 'resolved', closed: 'closed', disputed: 'bad', returned: 'muted' };
export const statusBadge = (n) => badge(needStatus(n.status), STATUS_CLASS[n.status] || '');
export const urgencyBadge = (u) => badge(codeLabel('urgency', u), URGENCY_CLASS[u] || '');
