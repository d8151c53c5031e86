"""Grid operations (issue 15): remote operations on meters as persisted command state machines
(:mod:`.commands`), the mass-disconnect guard in front of them (:mod:`.guard`), and the service composing both over
the store (:mod:`.service`). The layer sits between the API (which may call it) and the head-end (which it may
drive); its pure cores import neither the store nor a clock.
"""
