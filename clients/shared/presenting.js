// What is on the projector, in words: document title and page.

import { sameId } from './room.js'
import { t } from './i18n/index.js'

/** {title, page} for the presented page, or null when nothing is presented. */
export function describePresenting(presenting, documents = []) {
  if (presenting?.document === null || presenting?.document === undefined) return null
  const doc = documents.find((d) => sameId(d.id, presenting.document))
  const page = Math.max(1, Math.round(Number(presenting.page) || 1))
  return {
    title: doc?.title || t('meeting.documentUnknown', { id: presenting.document }),
    page: doc?.page_count
      ? t('meeting.pageOf', { page, count: doc.page_count })
      : t('meeting.page', { page }),
  }
}
