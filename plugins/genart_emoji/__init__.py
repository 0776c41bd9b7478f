"""genart-emoji: the first-party ``emoji`` training dataset, registered like any plugin.

About 1,870 colour images (3,650 with skin tones) drawn from Debian's Noto Color Emoji font
(``fonts-noto-color-emoji``), each named, grouped and captioned from Unicode's ``emoji-test.txt``
(``unicode-data``): what a text-conditioned model of this toolkit learns from. See
:func:`genart_emoji.dataset.load_emoji`.
"""
