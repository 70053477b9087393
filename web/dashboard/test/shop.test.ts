import { describe, expect, it } from 'vitest';
import { attributeText, hasShopData, orderRow, shopFacts } from '../src/lib/shop';
import { referrerHost, webHref } from '../src/lib/linkify';
import type { Shop } from '../src/lib/types';

const shop = (p: Partial<Shop> = {}): Shop => ({
  customer_since: null, orders_count: null, total_spent: null, currency: '', last_orders: [], attributes: {},
  updated_at: '2025-01-01T00:00:00Z', ...p,
});

describe('shopping information', () => {
  it('has data only when the shop sent something', () => {
    expect(hasShopData(null)).toBe(false);
    expect(hasShopData(shop())).toBe(false);
    expect(hasShopData(shop({ orders_count: 0 }))).toBe(true);
    expect(hasShopData(shop({ attributes: { vip: true } }))).toBe(true);
  });

  it('shows customer since, orders and total spent in the shop currency', () => {
    const facts = shopFacts(shop({ customer_since: '2024-03-01T00:00:00Z', orders_count: 12, total_spent: 1234.5, currency: 'EUR' }), 'en');
    expect(facts).toEqual([
      { label: 'shop.customerSince', value: 'Mar 1, 2024' },
      { label: 'shop.orders', value: '12' },
      { label: 'shop.totalSpent', value: '€1,234.50' },
    ]);
    expect(shopFacts(shop({ orders_count: 3 }), 'en').map((f) => f.label)).toEqual(['shop.orders']);
  });

  it('renders an order with the shop currency and only an http(s) link', () => {
    const o = { number: '1042', date: '2025-02-03T00:00:00Z', total: 49.9, currency: '', status: 'shipped', url: 'https://shop.example/o/1042' };
    expect(orderRow(o, 'EUR', 'en')).toEqual({ number: '1042', date: 'Feb 3, 2025', total: '€49.90', status: 'shipped', href: 'https://shop.example/o/1042' });
    expect(orderRow({ ...o, url: 'javascript:alert(1)' }, 'EUR', 'en').href).toBeNull();
    expect(orderRow({ ...o, url: 'data:text/html,x' }, 'EUR', 'en').href).toBeNull();
    expect(orderRow({ ...o, currency: 'USD' }, 'EUR', 'en').total).toBe('$49.90');
    expect(orderRow({ ...o, total: null, date: null }, 'EUR', 'en')).toMatchObject({ total: '', date: '' });
  });

  it('shows attribute values as text', () => {
    expect(attributeText(true, 'en', 'Yes', 'No')).toBe('Yes');
    expect(attributeText(false, 'en', 'Yes', 'No')).toBe('No');
    expect(attributeText(1500, 'en', 'Yes', 'No')).toBe('1,500');
    expect(attributeText('<b>gold</b>', 'en', 'Yes', 'No')).toBe('<b>gold</b>');
  });

  it('links pages and orders over http(s) only', () => {
    expect(webHref('http://a.example/x')).toBe('http://a.example/x');
    expect(webHref('mailto:a@b.c')).toBeNull();
    expect(webHref('/relative')).toBeNull();
    expect(webHref('')).toBeNull();
  });
});

describe('referrers', () => {
  it('shows the host without www, and text that is no URL as it is', () => {
    expect(referrerHost('https://www.google.com/search?q=x')).toBe('google.com');
    expect(referrerHost('android-app://com.slack/')).toBe('com.slack');
    expect(referrerHost('not a url')).toBe('not a url');
  });
});
