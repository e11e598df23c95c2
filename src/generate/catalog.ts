/** The vocabulary of generated data, shaped like the original extract (source-system.md §5). */
export const CATEGORIES: Readonly<Record<string, readonly { sub: string; names: readonly string[] }[]>> = {
  Clothing: [
    { sub: 'T-shirts', names: ['Classic tee', 'Oversized tee', 'Graphic tee, organic'] },
    { sub: 'Jeans', names: ['Slim jeans', 'Relaxed jeans', 'Straight "90s" jeans'] },
    { sub: 'Jackets', names: ['Denim jacket', 'Puffer jacket', 'Rain jacket'] },
    { sub: 'Knitwear', names: ['Wool sweater', 'Cardigan'] },
  ],
  Shoes: [
    { sub: 'Sneakers', names: ['High-top sneakers', 'Low-top sneakers', 'Running shoes'] },
    { sub: 'Boots', names: ['Chelsea boots', 'Hiking boots'] },
    { sub: 'Sandals', names: ['Slides', 'Strap sandals'] },
  ],
  Accessories: [
    { sub: 'Bags', names: ['Tote bag', 'Backpack', 'Crossbody bag'] },
    { sub: 'Hats', names: ['Beanie', 'Bucket hat', 'Cap'] },
    { sub: 'Jewellery', names: ['Silver ring', 'Necklace'] },
  ],
  Beauty: [
    { sub: 'Skincare', names: ['Face cream', 'Serum'] },
    { sub: 'Fragrance', names: ['Eau de parfum'] },
  ],
};

/** channel → the channel groups it appears with (many-to-many, as in the original). */
export const CHANNELS: readonly (readonly [string, readonly string[]])[] = [
  ['direct', ['direct', 'sem']],
  ['google', ['sem', 'organic']],
  ['facebook', ['social_ppc', 'social_organic']],
  ['instagram', ['social_ppc', 'social_organic']],
  ['bing', ['sem']],
  ['newsletter', ['email']],
  ['partner', ['affiliate', 'referral']],
];

export const CAMPAIGNS = ['black_friday', 'summer_sale', 'spring_launch', 'vip_10', 'retargeting_q2'];

/** The columns of the original exports, in header order (source-system.md §2). */
export const ORDERS_COLUMNS = [
  'orderId',
  'productId',
  'currency',
  'quantity',
  'shippingCost',
  'amount',
  'channel',
  'channelGroup',
  'campaign',
  'dateTime',
] as const;
export const INVENTORY_COLUMNS = ['productId', 'name', 'quantity', 'category', 'subCategory'] as const;
