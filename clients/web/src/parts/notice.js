// The notice a meeting gives (Decision 45/2018/QĐ-TTg: invitations and
// documents at least 3 working days ahead), as the server counts it with the
// body's holidays: before sending, the working days left; after, the days the
// invitation gave. Shown for every kind of meeting, and kept on reload.

import { h } from '../../../shared/dom.js'
import { t } from '../../../shared/i18n/index.js'
import { formatDate } from '../../../shared/time.js'

const count = (days) => (days === 0 ? '0' : days === 1 ? '1' : 'n')

export function noticeBox(notice) {
  if (!notice) return null
  const days = Number(notice.working_days ?? 0)
  const when = notice.sent_on
    ? t(`notice.after.${count(days)}`, { days, date: formatDate(`${notice.sent_on}T12:00:00+07:00`) })
    : t(`notice.before.${count(days)}`, { days })
  return h(
    'div',
    { class: `callout ${notice.met ? 'ok' : 'warn'} notice-period`, role: notice.met ? 'status' : 'alert', 'data-notice-met': String(Boolean(notice.met)), 'data-working-days': String(days) },
    h('p', {}, h('strong', {}, t('notice.title')), ' ', when),
    h('p', {}, t(notice.met ? 'notice.met' : 'notice.short', { required: notice.required ?? 3 }), notice.met ? '' : ` ${t(notice.sent_on ? 'notice.shortAfter' : 'notice.shortBefore')}`),
  )
}
