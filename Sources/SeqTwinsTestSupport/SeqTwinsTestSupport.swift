// SeqTwinsTestSupport module.
