/**
 * The demo catalog: stores, categories, planograms with named sections, their products, and
 * which store carries which planogram. Names, sections and which sections are additional are
 * fixed, so that every seed exercises the same cases (a section name with a comma, one with
 * quotes, additional sections spelt in different cases); the seed picks the product lines
 * and which planograms the small-format store carries.
 */
import { createRandom } from './random.js';

export interface CatalogSection {
  name: string;
  /** One of its products has an action or merch method containing "additional". */
  additional: boolean;
  products: Array<{ name: string; action: string | null; merchMethod: string | null }>;
}

export interface CatalogPlanogram {
  name: string;
  category: string;
  aisle: string;
  sections: CatalogSection[];
}

export interface CatalogDefinition {
  stores: string[];
  categories: string[];
  planograms: CatalogPlanogram[];
  /** Per store (by index), the indexes of the planograms it carries, ascending. */
  storePlanograms: number[][];
}

const STORES = ['Store #1024 - Springfield Main St', 'Store #2048 - Riverside Plaza', 'Store #3301 - Oak Hills', 'Store #4410 - Harbor Point Express'];

const CATEGORIES = ['Breakfast Cereal', 'Salty Snacks', 'Beverages', 'Dairy', 'Household Cleaning'];

/** [planogram, category, aisle, sections]; a trailing `+` marks an additional section. */
const PLANOGRAMS: ReadonlyArray<readonly [string, string, string, readonly string[]]> = [
  ['Cereal Aisle 4ft', 'Breakfast Cereal', 'Aisle 4', ['Top Shelf Left', 'Top Shelf Right', 'Middle Shelf', 'Bottom Shelf']],
  ['Family Cereal 8ft', 'Breakfast Cereal', 'Aisle 4', ['Kids Cereal Bay 1', 'Adult Cereal Bay 2', 'Granola & Müesli']],
  ['Salty Snacks 12ft', 'Salty Snacks', 'Aisle 7', ['Chips, Salsa & Dips', 'Pretzels', 'Popcorn Endcap+']],
  ['Crackers & Cookies 8ft', 'Salty Snacks', 'Aisle 7', ['Sweet Cookies', 'Crackers', 'Bay 2, Lower "Value" Shelf']],
  ['Soft Drinks 16ft', 'Beverages', 'Aisle 9', ['Cola Top Shelf', 'Flavored Soda', 'Multipacks Bottom Shelf', 'Cooler Display+']],
  ['Water & Sports Drinks 8ft', 'Beverages', 'Aisle 9', ['Still Water', "Sports Drinks (12 oz) 'Chilled'"]],
  ['Yogurt Cooler 6ft', 'Dairy', 'Dairy Wall', ['Greek Yogurt', 'Kids Yogurt', 'Drinkable Yogurt']],
  ['Cheese Case 4ft', 'Dairy', 'Dairy Wall', ['Sliced Cheese', 'Shredded Cheese', 'Specialty Cheese Wing+']],
  ['Laundry Care 12ft', 'Household Cleaning', 'Aisle 12', ['Liquid Detergent', 'Pods & Sheets', 'Fabric Softener', 'Stain Removers']],
  ['Dish & Surface Care 8ft', 'Household Cleaning', 'Aisle 12', ['Dish Soap', 'Surface Cleaners+']],
];

const PRODUCTS: Record<string, readonly string[]> = {
  'Breakfast Cereal': ['Honey Oat Crunch 14oz', 'Frosted Flakes 19oz', 'Cocoa Puffs 10oz', 'Bran Flakes 16oz', 'Corn Squares 12oz', 'Fruit Rings 11oz', 'Rolled Oats 42oz', 'Granola Clusters 12oz'],
  'Salty Snacks': ['Sea Salt Chips 8oz', 'BBQ Chips 8oz', 'Tortilla Rounds 13oz', 'Medium Salsa 16oz', 'Pretzel Twists 16oz', 'Butter Popcorn 6pk', 'Cheese Crackers 12oz', 'Sandwich Cookies 14oz'],
  Beverages: ['Cola 12pk', 'Diet Cola 2L', 'Lemon Lime Soda 12pk', 'Orange Soda 2L', 'Spring Water 24pk', 'Sparkling Water 8pk', 'Sports Drink 28oz', 'Electrolyte Water 1L'],
  Dairy: ['Greek Yogurt Plain 32oz', 'Strawberry Yogurt 4pk', 'Yogurt Drink 7oz', 'Cheddar Slices 8oz', 'Mozzarella Shredded 16oz', 'Brie Wheel 8oz', 'Kids Yogurt Tubes 8ct', 'Swiss Slices 7oz'],
  'Household Cleaning': ['Liquid Detergent 92oz', 'Laundry Pods 42ct', 'Dryer Sheets 120ct', 'Fabric Softener 64oz', 'Stain Spray 22oz', 'Dish Soap 19oz', 'Multi-Surface Spray 32oz', 'Disinfecting Wipes 75ct'],
};

const ACTIONS = [null, null, null, 'KEEP', 'MOVE', 'NEW', 'DELETE'] as const;
const MERCH = [null, 'Shelf', 'Shelf', 'Peg', 'Tray', 'Case Cut'] as const;
/** Both columns and both cases: the platform matches with ILIKE '%additional%'. */
const ADDITIONAL_MARKS: ReadonlyArray<{ action: string | null; merchMethod: string | null }> = [
  { action: 'ADD_ADDITIONAL', merchMethod: 'Shelf' },
  { action: 'KEEP', merchMethod: 'Additional Display' },
  { action: null, merchMethod: 'Shipper - additional' },
];

/** The small-format store carries only some planograms; the others carry them all. */
const PARTIAL_STORE = 3;

export function demoCatalog(seed: number): CatalogDefinition {
  const random = createRandom(seed).fork('catalog');
  let additionalIndex = 0;
  const planograms = PLANOGRAMS.map(([name, category, aisle, sections]) => ({
    name,
    category,
    aisle,
    sections: sections.map((raw) => {
      const additional = raw.endsWith('+');
      const pool = random.shuffle(PRODUCTS[category] ?? []);
      const products: CatalogSection['products'] = pool.slice(0, random.int(3, 6)).map((product) => ({
        name: product,
        action: random.pick(ACTIONS),
        merchMethod: random.pick(MERCH),
      }));
      if (additional) {
        const mark = ADDITIONAL_MARKS[additionalIndex++ % ADDITIONAL_MARKS.length] as (typeof ADDITIONAL_MARKS)[number];
        products.splice(random.int(0, products.length), 0, { name: `${pool[pool.length - 1] ?? 'Display Item'} (display)`, ...mark });
      }
      return { name: additional ? raw.slice(0, -1) : raw, additional, products };
    }),
  }));
  const all = planograms.map((_, i) => i);
  const partial = random.shuffle(all).slice(0, Math.ceil(planograms.length / 2)).sort((a, b) => a - b);
  return {
    stores: STORES,
    categories: CATEGORIES,
    planograms,
    storePlanograms: STORES.map((_, s) => (s === PARTIAL_STORE ? partial : all)),
  };
}
