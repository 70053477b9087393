// Shopping information on the visitor card, turned into rows of text. Every
// value is shown as text; order links are kept only when they are http(s).
import type { Shop, ShopOrder } from './types';
import type { Key } from './i18n-en';
import { formatDate, formatMoney, formatNumber } from './format';
import { webHref } from './linkify';

export interface Fact {
  label: Key;
  value: string;
}

export interface OrderRow {
  number: string;
  date: string;
  total: string;
  status: string;
  href: string | null;
}

/** Whether the shop sent anything worth a section. */
export function hasShopData(shop: Shop | null | undefined): shop is Shop {
  if (!shop) return false;
  return (
    shop.customer_since !== null ||
    shop.orders_count !== null ||
    shop.total_spent !== null ||
    (shop.last_orders?.length ?? 0) > 0 ||
    Object.keys(shop.attributes ?? {}).length > 0
  );
}

/** Customer since, orders and total spent, each only when the shop sent it. */
export function shopFacts(shop: Shop, lang: string): Fact[] {
  const facts: Fact[] = [];
  if (shop.customer_since) facts.push({ label: 'shop.customerSince', value: formatDate(shop.customer_since, lang) });
  if (shop.orders_count !== null && shop.orders_count !== undefined) facts.push({ label: 'shop.orders', value: formatNumber(shop.orders_count, lang) });
  if (shop.total_spent !== null && shop.total_spent !== undefined) facts.push({ label: 'shop.totalSpent', value: formatMoney(shop.total_spent, shop.currency, lang) });
  return facts.filter((f) => f.value !== '');
}

/** An order as row text; its total falls back to the shop's currency. */
export function orderRow(o: ShopOrder, shopCurrency: string, lang: string): OrderRow {
  return {
    number: o.number ?? '',
    date: formatDate(o.date, lang),
    total: formatMoney(o.total, o.currency || shopCurrency, lang),
    status: o.status ?? '',
    href: webHref(o.url),
  };
}

/** An attribute value as text: numbers in the agent's format, booleans as the given yes/no words. */
export function attributeText(v: string | number | boolean | null | undefined, lang: string, yes: string, no: string): string {
  if (typeof v === 'boolean') return v ? yes : no;
  if (typeof v === 'number') return formatNumber(v, lang);
  return v ?? '';
}
