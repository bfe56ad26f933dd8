/// Short, varied English sentences for activation studies (`metrics.activations`,
/// subspace shift, norm statistics) and for the KL collapse canary: daily life, science,
/// nature, food, history, sport, technology, feelings, travel, the arts, numbers, questions,
/// instructions, money, civic life, geography, animals, subordinate clauses, descriptions,
/// health and school. All written for EditLab (DESIGN.md rule 7); none is a built-in edit
/// prompt. Like every prompt, they get the scoring options' prompt prefix when run.
public enum ProbePrompts {
    /// Every probe sentence, in a fixed order (287 sentences).
    public static let all: [String] = text.split(separator: "\n").map(String.init)

    /// The first `n` sentences (all when `n` exceeds the count; an error for negative `n`).
    public static func first(_ n: Int) throws -> [String] {
        guard n >= 0 else { throw DatasetError.invalidArgument("probe prompt count must be non-negative, got \(n)") }
        return Array(all.prefix(n))
    }

    private static let text = #"""
The kettle clicked off just as the phone began to ring.
She folded the letter twice and slipped it under the door.
Our neighbours painted their fence a bright shade of yellow.
The bus was late again, so we walked to the station.
He forgot his umbrella on the train this morning.
A small dog barked at every bicycle that passed the house.
The bakery on the corner sells bread until noon.
My grandmother keeps her buttons in an old biscuit tin.
The children built a fort out of sofa cushions.
After dinner we played cards until midnight.
The washing machine makes a strange noise when it spins.
I left the window open and the room filled with cold air.
Someone had written a poem on the steamed-up mirror.
The library closes early on Sundays.
We ran out of milk, so I had my coffee black.
The old clock in the hallway stopped at a quarter past three.
He spent the afternoon fixing the chain on his bicycle.
The cat sleeps on the warmest spot of the carpet.
She keeps a list of every book she has ever read.
The garden hose sprang a leak near the tap.
Water boils at a lower temperature on top of a mountain.
The heart pumps blood through a network of arteries and veins.
Light from the Sun takes about eight minutes to reach the Earth.
A magnet attracts iron but not aluminium.
Plants turn sunlight, water and carbon dioxide into sugar.
Sound travels faster through water than through air.
The Moon has no atmosphere to speak of.
Salt dissolves quickly in warm water.
An electron carries a negative electric charge.
Ice floats because it is less dense than liquid water.
Bees collect nectar and turn it into honey.
The human skeleton has more than two hundred bones.
Volcanoes form where molten rock rises through the crust.
A rainbow appears when sunlight is bent by drops of rain.
Copper is an excellent conductor of electricity.
Most stars we see at night are much larger than the Sun.
Bacteria can double their number in less than an hour.
Earthquakes are measured with instruments called seismographs.
The tide rises and falls twice a day along most coasts.
A prism splits white light into many colours.
The river widens as it approaches the sea.
Fog rolled in from the harbour before dawn.
The forest floor was covered in fallen leaves.
Snow lay thick on the roofs of the village.
A hawk circled slowly above the open field.
The desert is cold at night and hot during the day.
Moss grows on the shaded side of the old wall.
Thunder rumbled somewhere beyond the hills.
The lake froze solid for the first time in years.
Wild strawberries grow along the edge of the path.
A storm knocked down two trees near the school.
The meadow was full of poppies and buzzing insects.
Waves crashed against the rocks all night long.
The morning air smelled of rain and cut grass.
A family of ducks crossed the road in single file.
The mountain peak was hidden in the clouds.
She added a pinch of salt to the boiling pasta.
Fresh tomatoes taste best in late summer.
The soup needs another ten minutes on the stove.
He cut the onions so finely that they almost vanished.
We ordered noodles, dumplings and a pot of green tea.
The cake collapsed when I opened the oven too early.
Lemon juice keeps sliced apples from turning brown.
Rice should be rinsed before it is cooked.
The recipe calls for two eggs and a cup of flour.
My brother puts hot sauce on almost everything.
The market sells cheese from a dozen different farms.
Warm bread and butter make a simple breakfast.
She stirred the risotto slowly so it would not stick.
Roasted vegetables go well with almost any meal.
The coffee beans were ground just before brewing.
A bowl of cherries sat on the kitchen table.
The ancient Romans built roads that are still in use today.
The printing press changed how ideas spread across Europe.
Castles were built on hills so they were easier to defend.
The first railways carried coal before they carried passengers.
Explorers once believed the ocean was full of monsters.
The wall was built to keep invaders out of the city.
Medieval scribes copied books entirely by hand.
The invention of the telephone made distant conversations possible.
Many old towns grew up around a market square.
The pyramids were built with enormous blocks of stone.
Sailors used the stars to find their way at sea.
The museum displays coins from many different empires.
Windmills once ground most of the grain in the region.
The treaty ended a war that had lasted for decades.
Steam engines powered the factories of the nineteenth century.
A new law was passed after months of debate.
The goalkeeper dived to the left and saved the penalty.
She finished the marathon in just under four hours.
The tennis match lasted more than five hours.
Our team scored twice in the last ten minutes.
He swims thirty lengths of the pool every morning.
The referee blew the whistle to end the first half.
Cyclists climbed the steep pass in pouring rain.
The crowd cheered when the runner crossed the line.
She practises her serve for an hour every day.
The chess tournament ended in a surprising draw.
The basketball bounced off the rim and into the crowd.
He broke his own record in the long jump.
The skiers waited at the top for the fog to lift.
Both teams shook hands after the final whistle.
The climbers reached the summit just after sunrise.
The computer restarted in the middle of my presentation.
Please save your work before closing the program.
The new phone has a larger screen and a better camera.
He wrote a short script to rename all the files.
The website was down for maintenance overnight.
My password must contain at least one number.
The printer ran out of ink halfway through the report.
She connected the laptop to the projector with a cable.
The software update fixed several small bugs.
A robot vacuum cleaner bumped into the table leg.
The battery lasts for about two days on a single charge.
He keeps backups of his photos on an external drive.
The server logs every request it receives.
The app reminds me to drink water every few hours.
Engineers tested the bridge before it opened to traffic.
The satellite sends pictures back to Earth every hour.
I feel nervous every time I have to speak in public.
She smiled when she saw the letter from her old friend.
He was tired but happy after the long journey.
They argued about the plan but agreed in the end.
The news made everyone in the room fall silent.
I was surprised by how kind the stranger was.
She laughed so hard that she had to sit down.
He felt a little lonely in the new city at first.
We were relieved when the test results came back.
The little boy was proud of his drawing.
She apologised for arriving late to the meeting.
He could not hide his disappointment.
They celebrated the good news with a quiet dinner.
I trust her judgement more than my own.
The audience was moved by the final scene.
Our flight was delayed because of heavy snow.
The hotel room had a view of the old harbour.
We rented bicycles to explore the island.
The train crossed three countries in a single day.
She packed only one small bag for the whole trip.
The guide led us through narrow streets to the cathedral.
We missed the last ferry and had to stay the night.
The road wound along the coast for many miles.
He bought a map at the petrol station.
The border guard checked our passports carefully.
The campsite was next to a clear mountain stream.
Tourists queued for hours to see the famous painting.
We took the night bus to save money on a hotel.
The airport was crowded on the first day of the holidays.
The orchestra tuned their instruments before the concert.
She painted the harbour at sunset in soft blue tones.
The novel follows a family over three generations.
He learned to play the guitar by watching videos.
The actors rehearsed the play for six weeks.
The gallery opened a new exhibition of photographs.
The choir sang in a church with wonderful acoustics.
Her first poem was published in a school magazine.
The film was shot entirely in black and white.
The sculptor carved the statue from a single block of marble.
The band played their most famous song as an encore.
He writes a few pages of his diary every evening.
The dancers moved in perfect time with the music.
The author signed copies of her book at the shop.
The melody was simple but very hard to forget.
Seven plus five equals twelve.
A triangle has three sides and three angles.
Half of one hundred is fifty.
There are sixty minutes in an hour.
A dozen eggs is twelve eggs.
The square of nine is eighty-one.
A week has seven days.
One kilometre is one thousand metres.
Twenty divided by four is five.
A circle has no corners.
The year has twelve months.
Three times three is nine.
An even number can be divided by two without a remainder.
A century is a period of one hundred years.
The price went up by ten percent last year.
Could you tell me where the nearest pharmacy is?
What time does the museum open on Saturdays?
Why do leaves change colour in the autumn?
How long does it take to learn a new language?
Is it going to rain tomorrow afternoon?
Which road leads to the old lighthouse?
Who left the lights on in the kitchen?
How many people live in this town?
Do you know how to fix a flat tyre?
What is the best way to keep bread fresh?
Where did you put the spare keys?
When does the next train to the coast leave?
Turn left at the second set of traffic lights.
Please close the door quietly behind you.
Mix the flour and sugar before adding the milk.
Water the plants every other day in summer.
Write your name at the top of the page.
Switch off the engine before refuelling.
Keep the medicine out of reach of children.
Read the instructions carefully before you begin.
Take the stairs if the lift is out of order.
Wash your hands before you start cooking.
The company reported higher profits this quarter.
Prices at the supermarket have risen again.
The bank lowered its interest rate by a small amount.
The shop offers a discount to students.
He saved a little money every month for a new car.
The factory hired fifty new workers last spring.
The farmers sold their apples at the weekly market.
Rent in the city centre is very expensive.
The meeting about the budget lasted all afternoon.
She opened a small bookshop near the university.
The town council voted to build a new park.
Voters queued outside the polling station early in the morning.
The mayor opened the new library with a short speech.
The government announced a plan to plant more trees.
The judge asked the witness to speak more clearly.
The committee will publish its report next month.
Volunteers cleaned the beach after the storm.
The students organised a fair to raise money for charity.
The hospital added a new wing for children.
A new school opened in the north of the city.
Paris is a city on the river Seine.
Mount Everest is the highest mountain on Earth.
The Pacific is the largest of the oceans.
The Nile flows north into the Mediterranean Sea.
Australia is both a country and a continent.
The Amazon rainforest is home to countless species.
Iceland has many volcanoes and hot springs.
The Sahara is the largest hot desert in the world.
Venice is famous for its canals and bridges.
Tokyo is one of the largest cities in the world.
The Alps stretch across several European countries.
Canada has more lakes than any other country.
The Great Barrier Reef lies off the coast of Australia.
Penguins live mostly in the Southern Hemisphere.
The Danube passes through several capital cities.
Dolphins breathe air through a hole on top of their heads.
Owls can turn their heads much further than people can.
An octopus has three hearts and blue blood.
Elephants use their trunks to drink and to greet each other.
Some birds fly thousands of kilometres every winter.
Camels can go for days without drinking water.
A spider spins a new web almost every day.
Frogs lay their eggs in ponds and slow streams.
Whales communicate with long, low songs.
Ants work together to carry food back to the nest.
The horse stood patiently while the farmer fixed its shoe.
Squirrels bury nuts to eat during the winter.
If you heat ice, it melts into water.
Because the road was icy, the school opened late.
Although it was raining, the match went ahead.
When the sun sets, the temperature drops quickly.
Unless we leave now, we will miss the beginning.
After the storm passed, the sky turned a pale pink.
Before the concert started, the lights were dimmed.
Since the bridge was closed, we took the long way round.
As soon as the bell rang, the children ran outside.
While the soup was cooking, she set the table.
The red car was parked behind the blue van.
A tall man in a grey coat waited at the corner.
The box on the top shelf is full of old photographs.
Her new shoes were too tight to walk far in.
The wooden bench in the park has been freshly painted.
A narrow staircase led up to the attic.
The glass vase on the windowsill caught the light.
His handwriting is almost impossible to read.
The green door at the end of the street is ours.
The silver key did not fit the lock.
The doctor said he should rest for a few days.
Regular exercise helps people sleep better.
She drinks a glass of water as soon as she wakes up.
Vegetables and fruit are an important part of a healthy diet.
The nurse checked his temperature every four hours.
Too much sugar is bad for your teeth.
A short walk after lunch helps with digestion.
He broke his arm falling off a ladder.
The pharmacy is open until ten in the evening.
Washing your hands often helps stop the spread of colds.
The teacher wrote the date on the blackboard.
Students must hand in their essays by Friday.
The exam was easier than we had expected.
She is studying chemistry at the local university.
The professor explained the theory with a simple drawing.
The class went on a trip to the science museum.
He learned to read when he was four years old.
The school library has a large collection of atlases.
Homework should take no more than an hour each night.
The lecture was recorded for students who could not attend.
"""#
}
